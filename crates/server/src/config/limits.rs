//! What the operator lets API callers do with workloads (`portcullis serve` flags): where
//! instance metadata listeners may bind (`--imds-allow`), and how many instances and tasks
//! an account may run at once (`--max-instances`, `--max-tasks`).
//!
//! An instance's metadata listener is a socket the server opens on an address the caller
//! of RunInstances chooses (tag `portcullis:imds-listen`): without a limit any caller
//! allowed `ec2:RunInstances` could open listeners on every interface of the host, or
//! thousands of them.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// A block of IP addresses (`127.0.0.0/8`, `::1/128`; a bare address is a block of one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpBlock {
    /// The block's first address (its host bits are zero).
    addr: IpAddr,
    /// The length of its prefix, in bits.
    prefix: u8,
}

impl IpBlock {
    /// The block of `addr`'s first `prefix` bits (`None` when `prefix` is too long for
    /// the address family).
    pub(crate) fn new(addr: IpAddr, prefix: u8) -> Option<IpBlock> {
        let bits = match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        (prefix <= bits).then(|| IpBlock {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    /// True when `ip` is in the block (an IPv4-mapped IPv6 address counts as its IPv4
    /// address).
    pub(crate) fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => {
                mask(ip, self.prefix) == self.addr
            }
            _ => false,
        }
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(a) => {
            let m = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(a) & m))
        }
        IpAddr::V6(a) => {
            let m = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(a) & m))
        }
    }
}

impl FromStr for IpBlock {
    type Err = String;

    fn from_str(s: &str) -> Result<IpBlock, String> {
        let s = s.trim();
        let bad = || format!("{s:?} is not an IP address or a CIDR block (such as 10.0.0.0/8)");
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let prefix = match prefix {
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<u8>().map_err(|_| bad())?
            }
            Some(_) => return Err(bad()),
            None if addr.is_ipv4() => 32,
            None => 128,
        };
        IpBlock::new(addr, prefix).ok_or_else(bad)
    }
}

impl fmt::Display for IpBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// How many instances an account may run at once unless configured.
pub const DEFAULT_MAX_INSTANCES: usize = 100;
/// How many tasks an account may run at once unless configured.
pub const DEFAULT_MAX_TASKS: usize = 100;

/// The operator's limits on workloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadLimits {
    /// The addresses instance metadata listeners may bind to (`--imds-allow`; default
    /// loopback only: `127.0.0.0/8` and `::1`).
    pub imds_allow: Vec<IpBlock>,
    /// The most instances an account runs at once (`--max-instances`).
    pub max_instances: usize,
    /// The most tasks an account runs at once (`--max-tasks`).
    pub max_tasks: usize,
}

impl WorkloadLimits {
    /// Loopback only: `127.0.0.0/8` and `::1/128`.
    pub fn loopback() -> Vec<IpBlock> {
        vec![
            IpBlock {
                addr: IpAddr::V4(Ipv4Addr::new(127, 0, 0, 0)),
                prefix: 8,
            },
            IpBlock {
                addr: IpAddr::V6(Ipv6Addr::LOCALHOST),
                prefix: 128,
            },
        ]
    }

    /// True when a metadata listener may bind to `ip`.
    pub(crate) fn imds_allowed(&self, ip: IpAddr) -> bool {
        self.imds_allow.iter().any(|b| b.contains(ip))
    }

    /// The allowed blocks, for messages (`127.0.0.0/8, ::1/128`).
    pub(crate) fn imds_allow_list(&self) -> String {
        let blocks: Vec<String> = self.imds_allow.iter().map(ToString::to_string).collect();
        if blocks.is_empty() {
            "none".to_string()
        } else {
            blocks.join(", ")
        }
    }
}

impl Default for WorkloadLimits {
    fn default() -> WorkloadLimits {
        WorkloadLimits {
            imds_allow: WorkloadLimits::loopback(),
            max_instances: DEFAULT_MAX_INSTANCES,
            max_tasks: DEFAULT_MAX_TASKS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_parse_and_hold_their_addresses() {
        let b: IpBlock = "10.1.2.3/8".parse().unwrap();
        assert_eq!(b.to_string(), "10.0.0.0/8");
        assert!(b.contains(ip("10.255.0.1")));
        assert!(!b.contains(ip("11.0.0.1")));
        assert!(b.contains(ip("::ffff:10.0.0.9")), "IPv4-mapped");
        assert!(!b.contains(ip("::1")));
        let one: IpBlock = "192.168.1.7".parse().unwrap();
        assert_eq!(one.to_string(), "192.168.1.7/32");
        assert!(one.contains(ip("192.168.1.7")));
        assert!(!one.contains(ip("192.168.1.8")));
        let v6: IpBlock = "fd00::/8".parse().unwrap();
        assert!(v6.contains(ip("fd12::1")));
        assert!(!v6.contains(ip("fe80::1")));
        let all: IpBlock = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        assert!(!all.contains(ip("2001:db8::1")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0/8",
            "host/8",
            "1.2.3.4/+8",
        ] {
            assert!(bad.parse::<IpBlock>().is_err(), "{bad}");
        }
    }

    #[test]
    fn by_default_only_loopback_is_allowed() {
        let limits = WorkloadLimits::default();
        for yes in ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"] {
            assert!(limits.imds_allowed(ip(yes)), "{yes}");
        }
        for no in [
            "0.0.0.0",
            "::",
            "10.0.0.1",
            "169.254.169.254",
            "192.0.2.1",
            "::2",
        ] {
            assert!(!limits.imds_allowed(ip(no)), "{no}");
        }
        assert_eq!(limits.imds_allow_list(), "127.0.0.0/8, ::1/128");
    }
}
