//! The X.509 outbound signers of a workload identity provider:
//! Create-, Update-, Delete-, Enable-, Disable- and ListWorkloadIdentityProviderOutboundSigner(s).
//!
//! An X.509 signer is a certificate authority attached to the provider, with a signing
//! window. Its status is never stored but read from its times against the clock, the start
//! counting as inside the window and the end as outside: before StartSigningTime it is
//! IN_TRANSITION, then ACTIVE until EndSigningTime, then VALIDATING until
//! DiscoveryExpirationTime, then INACTIVE.
//!
//! Signers are grouped into slots by the authority's key algorithm; a slot holds at most
//! [`SIGNERS_PER_SLOT`] entries. Create fills an empty slot (EntityAlreadyExists when it
//! holds any entry); Update rotates within a slot to another authority (the outgoing
//! signer stops when the incoming one starts, and stays VALIDATING for 12 hours), cancels a
//! pending rotation (naming the signing authority), re-times it (naming the incoming
//! one), or re-attaches a stopped entry as the incoming one; when a new entry would
//! overflow the slot the oldest INACTIVE entries are deleted first, and LimitExceeded
//! answers when there are not enough. Delete removes a VALIDATING or INACTIVE entry only.
//! Disable stops every signing or waiting entry (end now, trust material for 12 more
//! hours); Enable resumes, in each slot with no entry signing or waiting, the entry that
//! stopped most recently, except one a cancelled rotation stopped before it ever signed.
//! Both take only `SignerType` X509: IAM manages the JWT signers.
//!
//! The authorities are Portcullis's stand-ins for AWS Private CA ([`super::ca`]): the
//! first time an authority (ID and account) is attached, a local one of that ID is made;
//! an authority already attached to any provider is the same authority again. Portcullis
//! serves one account, so an authority of another account cannot exist (InvalidInput).
//!
//! IAM's exact messages are not known: the wording here is Portcullis's, in IAM's style.

use super::ca::{self, CaMaterial};
use super::providers::find;
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use crate::iam::rules::over_quota;
use crate::time::now_millis;
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam::{
    CreateWorkloadIdentityProviderOutboundSignerInput,
    CreateWorkloadIdentityProviderOutboundSignerOutput,
    DeleteWorkloadIdentityProviderOutboundSignerInput,
    DeleteWorkloadIdentityProviderOutboundSignerOutput,
    DisableWorkloadIdentityProviderOutboundSignerInput,
    DisableWorkloadIdentityProviderOutboundSignerOutput,
    EnableWorkloadIdentityProviderOutboundSignerInput,
    EnableWorkloadIdentityProviderOutboundSignerOutput,
    ListWorkloadIdentityProviderOutboundSignersInput,
    ListWorkloadIdentityProviderOutboundSignersOutput,
    UpdateWorkloadIdentityProviderOutboundSignerInput,
    UpdateWorkloadIdentityProviderOutboundSignerOutput, WorkloadIdentityJwtSignerConfiguration,
    WorkloadIdentityOutboundSignerConfiguration, WorkloadIdentityOutboundSignerDetailConfiguration,
    WorkloadIdentityOutboundSignerSummary, WorkloadIdentityPrivateCa,
    WorkloadIdentityX509OutboundSignerDetail,
};
use portcullis_store::{Change, Entities, WorkloadIdentityProvider, WorkloadX509Signer};
use sha2::{Digest, Sha256};

/// Entries per slot (one slot per key algorithm).
pub(crate) const SIGNERS_PER_SLOT: usize = 5;

/// How many entries GetWorkloadIdentityProvider reports per credential format.
pub(crate) const DETAILS_PER_FORMAT: usize = 10;

/// One hour, in milliseconds.
const HOUR: i64 = 3600 * 1000;

/// How long a stopped signer's trust material stays published (12 hours).
pub(crate) const VALIDATING_MILLIS: i64 = 12 * HOUR;

/// A signer's status at `now`, read from its times.
pub(crate) fn status(s: &WorkloadX509Signer, now: i64) -> &'static str {
    match s.end_signing_time {
        Some(end) if now >= end => {
            if s.discovery_expiration_time.is_some_and(|d| now < d) {
                "VALIDATING"
            } else {
                "INACTIVE"
            }
        }
        _ if now < s.start_signing_time => "IN_TRANSITION",
        _ => "ACTIVE",
    }
}

/// Whether a signer is signing or waiting to sign.
fn live(s: &WorkloadX509Signer, now: i64) -> bool {
    matches!(status(s, now), "ACTIVE" | "IN_TRANSITION")
}

/// The provider's X.509 signers that sign now (ACTIVE): those STS issues X509-SVIDs from.
pub(crate) fn active_x509_signers(
    p: &WorkloadIdentityProvider,
    now: i64,
) -> Vec<&WorkloadX509Signer> {
    p.x509_signers
        .iter()
        .filter(|s| status(s, now) == "ACTIVE")
        .collect()
}

/// The provider's X.509 signers whose trust material is published now (all but INACTIVE):
/// the certificate authorities of its trust bundle.
pub(crate) fn published_x509_signers(
    p: &WorkloadIdentityProvider,
    now: i64,
) -> Vec<&WorkloadX509Signer> {
    p.x509_signers
        .iter()
        .filter(|s| status(s, now) != "INACTIVE")
        .collect()
}

/// The certificate authority of a signer, as answers name it.
fn authority_view(s: &WorkloadX509Signer) -> WorkloadIdentityPrivateCa {
    WorkloadIdentityPrivateCa {
        certificate_authority_id: s.certificate_authority_id.clone(),
        account_id: s.account_id.clone(),
    }
}

/// The times of a signer as answers give them: the start of signing, and the end of
/// signing and the discovery expiration when they are set.
fn times(s: &WorkloadX509Signer) -> (Timestamp, Option<Timestamp>, Option<Timestamp>) {
    (
        Timestamp::from_millis(s.start_signing_time),
        s.end_signing_time.map(Timestamp::from_millis),
        s.discovery_expiration_time.map(Timestamp::from_millis),
    )
}

/// The `X509` member of a provider's `OutboundSigners`: at most ten entries, retired
/// (INACTIVE) ones left out.
pub(super) fn x509_details(
    p: &WorkloadIdentityProvider,
    now: i64,
) -> Vec<WorkloadIdentityX509OutboundSignerDetail> {
    p.x509_signers
        .iter()
        .filter(|s| status(s, now) != "INACTIVE")
        .take(DETAILS_PER_FORMAT)
        .map(|s| {
            let (start, end, discovery) = times(s);
            WorkloadIdentityX509OutboundSignerDetail {
                configuration: Some(authority_view(s)),
                status: Some(status(s, now).to_string()),
                start_signing_time: Some(start),
                end_signing_time: end,
                discovery_expiration_time: discovery,
            }
        })
        .collect()
}

/// The certificate authority of `OutboundSigner.X509`: its ID and account.
fn authority(signer: &WorkloadIdentityOutboundSignerConfiguration) -> Result<(&str, &str), Error> {
    match &signer.x509 {
        Some(x509) => Ok((&x509.certificate_authority_id, &x509.account_id)),
        None => Err(Error::invalid_input(
            "OutboundSigner must specify the X509 member, with CertificateAuthorityId and AccountId.",
        )),
    }
}

/// The material of the authority (ID, account): that of the signer it already is on any
/// provider, or a new local authority. Another account's authority cannot exist here.
fn material(
    ctx: &Ctx<'_>,
    e: &Entities,
    (id, account): (&str, &str),
    now: i64,
) -> Result<CaMaterial, Error> {
    if account != ctx.account() {
        return Err(Error::invalid_input(format!(
            "The certificate authority {id} of account {account} cannot be found: this server holds only account {}.",
            ctx.account()
        )));
    }
    let known = e
        .workload_providers
        .values()
        .flat_map(|p| &p.x509_signers)
        .find(|s| s.certificate_authority_id == id && s.account_id == account);
    match known {
        Some(s) => CaMaterial::open(&ctx.app.server_key, s).ok_or_else(|| {
            Error::Config(format!(
                "the key of certificate authority {id} cannot be decrypted"
            ))
        }),
        None => ca::make_ca(id, now),
    }
}

/// A new signer entry for the authority, starting at `start`.
fn new_signer(
    ctx: &Ctx<'_>,
    (id, account): (&str, &str),
    m: &CaMaterial,
    start: i64,
) -> WorkloadX509Signer {
    WorkloadX509Signer {
        certificate_authority_id: id.to_string(),
        account_id: account.to_string(),
        start_signing_time: start,
        end_signing_time: None,
        discovery_expiration_time: None,
        cancelled: false,
        key_algorithm: m.key_algorithm.clone(),
        ca_key_ciphertext: ctx.app.server_key.encrypt(&m.key_pem),
        ca_certificate: m.certificate_pem.clone(),
    }
}

/// The signing delay asked for (`SigningDelayInHours`, else `default_hours`), in
/// milliseconds.
fn delay(asked_hours: Option<i64>, default_hours: i64) -> i64 {
    asked_hours.unwrap_or(default_hours) * HOUR
}

/// Runs a change of the provider with ARN `arn`, with the entities in view; answers what
/// `f` returns.
async fn change<T>(
    ctx: &Ctx<'_>,
    arn: &str,
    f: impl FnOnce(&Entities, &mut WorkloadIdentityProvider) -> Result<T, Error>,
) -> Result<T, Error> {
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let before = find(e, arn)?;
            let mut p = before.clone();
            let out = f(e, &mut p)?;
            let changes = if p == *before {
                Vec::new()
            } else {
                vec![Change::put(account, &p)]
            };
            Ok((changes, out))
        })
        .await
}

fn same(s: &WorkloadX509Signer, (id, account): (&str, &str)) -> bool {
    s.certificate_authority_id == id && s.account_id == account
}

/// CreateWorkloadIdentityProviderOutboundSigner: attaches an authority in an empty slot.
pub(crate) async fn create_workload_identity_provider_outbound_signer(
    ctx: &Ctx<'_>,
    input: CreateWorkloadIdentityProviderOutboundSignerInput,
) -> Result<CreateWorkloadIdentityProviderOutboundSignerOutput, Error> {
    let who = authority(&input.outbound_signer)?;
    let wait = delay(input.signing_delay_in_hours, 1);
    let now = now_millis();
    change(ctx, &input.workload_identity_provider_arn, |e, p| {
        let m = material(ctx, e, who, now)?;
        if p.x509_signers.iter().any(|s| s.key_algorithm == m.key_algorithm) {
            return Err(Error::already_exists(format!(
                "The X.509 outbound signer slot for key algorithm {} already holds a signer. Use UpdateWorkloadIdentityProviderOutboundSigner to rotate it.",
                m.key_algorithm
            )));
        }
        p.x509_signers.push(new_signer(ctx, who, &m, now + wait));
        Ok(CreateWorkloadIdentityProviderOutboundSignerOutput {})
    })
    .await
}

/// Stops a waiting incoming signer of a cancelled rotation: it never signs.
fn cancel(s: &mut WorkloadX509Signer, now: i64) {
    s.end_signing_time = Some(now);
    s.discovery_expiration_time = Some(now + VALIDATING_MILLIS);
    s.cancelled = true;
}

/// Schedules a signer to stop at `at`, its trust material published 12 hours more.
fn stop_at(s: &mut WorkloadX509Signer, at: i64) {
    s.end_signing_time = Some(at);
    s.discovery_expiration_time = Some(at + VALIDATING_MILLIS);
}

/// Makes a signer the one that starts at `at`, with no end.
fn start_at(s: &mut WorkloadX509Signer, at: i64) {
    s.start_signing_time = at;
    s.end_signing_time = None;
    s.discovery_expiration_time = None;
    s.cancelled = false;
}

/// The state of one slot: its entries, the current signer and the pending incoming one.
struct Slot {
    entries: Vec<usize>,
    current: Option<usize>,
    incoming: Option<usize>,
}

fn slot(p: &WorkloadIdentityProvider, key_algorithm: &str, now: i64) -> Slot {
    let entries: Vec<usize> = (0..p.x509_signers.len())
        .filter(|&i| p.x509_signers[i].key_algorithm == key_algorithm)
        .collect();
    let live: Vec<usize> = entries
        .iter()
        .copied()
        .filter(|&i| live(&p.x509_signers[i], now))
        .collect();
    let stopping = live
        .iter()
        .copied()
        .find(|&i| p.x509_signers[i].end_signing_time.is_some());
    let open = live
        .iter()
        .copied()
        .find(|&i| p.x509_signers[i].end_signing_time.is_none());
    let (current, incoming) = match (stopping, open) {
        (Some(out), Some(inc)) => (Some(out), Some(inc)),
        (out, inc) => (inc.or(out), None),
    };
    Slot {
        entries,
        current,
        incoming,
    }
}

/// UpdateWorkloadIdentityProviderOutboundSigner: rotates a slot to an authority, cancels
/// or re-times a rotation, or re-attaches a stopped entry.
pub(crate) async fn update_workload_identity_provider_outbound_signer(
    ctx: &Ctx<'_>,
    input: UpdateWorkloadIdentityProviderOutboundSignerInput,
) -> Result<UpdateWorkloadIdentityProviderOutboundSignerOutput, Error> {
    let who = authority(&input.outbound_signer)?;
    let wait = delay(input.signing_delay_in_hours, 24);
    let now = now_millis();
    change(ctx, &input.workload_identity_provider_arn, |e, p| {
        let existing = p.x509_signers.iter().position(|s| same(s, who));
        let mut fresh = match existing {
            Some(_) => None,
            None => Some(material(ctx, e, who, now)?),
        };
        let key_algorithm = match existing {
            Some(i) => p.x509_signers[i].key_algorithm.clone(),
            None => fresh
                .as_ref()
                .map(|m| m.key_algorithm.clone())
                .unwrap_or_default(),
        };
        let s = slot(p, &key_algorithm, now);
        if s.entries.is_empty() {
            return Err(Error::invalid_input(format!(
                "The provider has no X.509 outbound signer with key algorithm {key_algorithm} to rotate. Use CreateWorkloadIdentityProviderOutboundSigner to fill that slot."
            )));
        }
        let at = now + wait;
        match existing {
            // The signing authority: cancel a pending rotation, or change nothing.
            Some(i) if Some(i) == s.current => {
                if let Some(inc) = s.incoming {
                    cancel(&mut p.x509_signers[inc], now);
                    let cur = &mut p.x509_signers[i];
                    cur.end_signing_time = None;
                    cur.discovery_expiration_time = None;
                }
            }
            // The incoming authority: re-time the rotation.
            Some(i) if Some(i) == s.incoming => {
                p.x509_signers[i].start_signing_time = at;
                if let Some(cur) = s.current {
                    stop_at(&mut p.x509_signers[cur], at);
                }
            }
            // A stopped entry, or a new authority: it becomes the incoming signer.
            _ => {
                let index = match (existing, fresh.take()) {
                    (Some(i), _) => i,
                    (None, m) => {
                        let m = m.ok_or_else(|| Error::Config("no CA material".into()))?;
                        if s.entries.len() >= SIGNERS_PER_SLOT {
                            evict_inactive(p, &s.entries, s.entries.len() + 1 - SIGNERS_PER_SLOT, now)?;
                        }
                        p.x509_signers.push(new_signer(ctx, who, &m, at));
                        p.x509_signers.len() - 1
                    }
                };
                // An eviction moves entries: find the current and incoming ones again.
                let s = slot(p, &key_algorithm, now);
                if let Some(inc) = s.incoming.filter(|&i| i != index) {
                    cancel(&mut p.x509_signers[inc], now);
                }
                if let Some(cur) = s.current.filter(|&i| i != index) {
                    stop_at(&mut p.x509_signers[cur], at);
                }
                start_at(&mut p.x509_signers[index], at);
            }
        }
        Ok(UpdateWorkloadIdentityProviderOutboundSignerOutput {})
    })
    .await
}

/// Deletes the `needed` oldest INACTIVE entries among `entries` (by end of signing), or
/// answers LimitExceeded without deleting any when there are not that many.
fn evict_inactive(
    p: &mut WorkloadIdentityProvider,
    entries: &[usize],
    needed: usize,
    now: i64,
) -> Result<(), Error> {
    let mut inactive: Vec<usize> = entries
        .iter()
        .copied()
        .filter(|&i| status(&p.x509_signers[i], now) == "INACTIVE")
        .collect();
    if inactive.len() < needed {
        return Err(over_quota("X509OutboundSignersPerSlot", SIGNERS_PER_SLOT));
    }
    inactive.sort_by_key(|&i| {
        let s = &p.x509_signers[i];
        (s.end_signing_time.unwrap_or(i64::MAX), s.start_signing_time)
    });
    let mut doomed: Vec<usize> = inactive.into_iter().take(needed).collect();
    doomed.sort_unstable();
    for i in doomed.into_iter().rev() {
        p.x509_signers.remove(i);
    }
    Ok(())
}

/// DeleteWorkloadIdentityProviderOutboundSigner: removes a VALIDATING or INACTIVE entry.
pub(crate) async fn delete_workload_identity_provider_outbound_signer(
    ctx: &Ctx<'_>,
    input: DeleteWorkloadIdentityProviderOutboundSignerInput,
) -> Result<DeleteWorkloadIdentityProviderOutboundSignerOutput, Error> {
    let who = authority(&input.outbound_signer)?;
    let arn = &input.workload_identity_provider_arn;
    let now = now_millis();
    change(ctx, arn, |_, p| {
        let Some(i) = p.x509_signers.iter().position(|s| same(s, who)) else {
            if let Some(s) = p
                .x509_signers
                .iter()
                .find(|s| s.certificate_authority_id == who.0)
            {
                return Err(Error::invalid_input(format!(
                    "AccountId {} does not match the account {} recorded for the X.509 outbound signer of certificate authority {}.",
                    who.1, s.account_id, who.0
                )));
            }
            return Err(Error::no_such_entity(format!(
                "The X.509 outbound signer with certificate authority {} cannot be found.",
                who.0
            )));
        };
        let state = status(&p.x509_signers[i], now);
        if matches!(state, "ACTIVE" | "IN_TRANSITION") {
            return Err(Error::invalid_input(format!(
                "The X.509 outbound signer with certificate authority {} is {state}. Disable it with DisableWorkloadIdentityProviderOutboundSigner before you delete it.",
                who.0
            )));
        }
        p.x509_signers.remove(i);
        Ok(DeleteWorkloadIdentityProviderOutboundSignerOutput {
            workload_identity_provider_arn: arn.clone(),
            outbound_signer: input.outbound_signer.clone(),
            status: "SUCCEEDED".to_string(),
        })
    })
    .await
}

/// Refuses a `SignerType` other than X509.
fn x509_only(signer_type: &str) -> Result<(), Error> {
    match signer_type {
        "X509" => Ok(()),
        other => Err(Error::invalid_input(format!(
            "SignerType must be X509: IAM manages the {other} outbound signers, which cannot be disabled, enabled or deleted."
        ))),
    }
}

/// DisableWorkloadIdentityProviderOutboundSigner: stops every X.509 entry that signs or
/// waits to sign, keeping its trust material published for 12 hours. Idempotent.
pub(crate) async fn disable_workload_identity_provider_outbound_signer(
    ctx: &Ctx<'_>,
    input: DisableWorkloadIdentityProviderOutboundSignerInput,
) -> Result<DisableWorkloadIdentityProviderOutboundSignerOutput, Error> {
    x509_only(&input.signer_type)?;
    let now = now_millis();
    change(ctx, &input.workload_identity_provider_arn, |_, p| {
        for s in p.x509_signers.iter_mut().filter(|s| live(s, now)) {
            stop_at(s, now);
        }
        Ok(DisableWorkloadIdentityProviderOutboundSignerOutput {})
    })
    .await
}

/// EnableWorkloadIdentityProviderOutboundSigner: in each slot where no entry signs or
/// waits, resumes the entry that stopped most recently (never one a cancelled rotation
/// stopped before it signed), starting after the delay.
pub(crate) async fn enable_workload_identity_provider_outbound_signer(
    ctx: &Ctx<'_>,
    input: EnableWorkloadIdentityProviderOutboundSignerInput,
) -> Result<EnableWorkloadIdentityProviderOutboundSignerOutput, Error> {
    x509_only(&input.signer_type)?;
    let wait = delay(input.signing_delay_in_hours, 1);
    let now = now_millis();
    change(ctx, &input.workload_identity_provider_arn, |_, p| {
        let mut algorithms: Vec<String> = p
            .x509_signers
            .iter()
            .map(|s| s.key_algorithm.clone())
            .collect();
        algorithms.sort();
        algorithms.dedup();
        for key_algorithm in algorithms {
            let s = slot(p, &key_algorithm, now);
            if s.current.is_some() {
                continue;
            }
            let resumed = s
                .entries
                .iter()
                .copied()
                .filter(|&i| !p.x509_signers[i].cancelled)
                .max_by_key(|&i| {
                    let x = &p.x509_signers[i];
                    (x.end_signing_time, x.start_signing_time)
                });
            if let Some(i) = resumed {
                start_at(&mut p.x509_signers[i], now + wait);
            }
        }
        Ok(EnableWorkloadIdentityProviderOutboundSignerOutput {})
    })
    .await
}

/// The page key prefix of a provider's signers: part of the SHA-256 of its ARN, so that a
/// marker works only with the ARN it was made for.
fn page_prefix(arn: &str) -> String {
    Sha256::digest(arn.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A signer's page key within its provider: stable, whatever is added or removed.
fn x509_key(s: &WorkloadX509Signer) -> String {
    let digest = Sha256::digest(format!("{}/{}", s.account_id, s.certificate_authority_id));
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("X{hex}")
}

/// ListWorkloadIdentityProviderOutboundSigners: JWT and X.509 signers in one flat list,
/// every status, in a stable order (not by time), paginated.
pub(crate) fn list_workload_identity_provider_outbound_signers(
    ctx: &Ctx<'_>,
    input: ListWorkloadIdentityProviderOutboundSignersInput,
) -> Result<ListWorkloadIdentityProviderOutboundSignersOutput, Error> {
    let arn = &input.workload_identity_provider_arn;
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    let prefix = format!("{}.", page_prefix(arn));
    if page
        .start
        .as_deref()
        .is_some_and(|s| !s.starts_with(&prefix))
    {
        return Err(Error::validation("Invalid Marker."));
    }
    let now = now_millis();
    ctx.app.read(|e| {
        let p = find(e, arn)?;
        let mut items: Vec<(String, WorkloadIdentityOutboundSignerSummary)> = p
            .jwt_signers
            .iter()
            .map(|s| {
                let view = WorkloadIdentityOutboundSignerSummary {
                    signer_type: "JWT".to_string(),
                    configuration: Some(WorkloadIdentityOutboundSignerDetailConfiguration {
                        jwt: Some(WorkloadIdentityJwtSignerConfiguration {
                            key_algorithm: s.key_algorithm.clone(),
                        }),
                        x509: None,
                    }),
                    signing_algorithm: Some(s.signing_algorithm.clone()),
                    start_signing_time: Timestamp::from_millis(s.start_signing_time),
                    status: None,
                    end_signing_time: None,
                    discovery_expiration_time: None,
                };
                (format!("{prefix}J{}", s.signing_algorithm), view)
            })
            .chain(p.x509_signers.iter().map(|s| {
                let (start, end, discovery) = times(s);
                let view = WorkloadIdentityOutboundSignerSummary {
                    signer_type: "X509".to_string(),
                    configuration: Some(WorkloadIdentityOutboundSignerDetailConfiguration {
                        jwt: None,
                        x509: Some(authority_view(s)),
                    }),
                    status: Some(status(s, now).to_string()),
                    start_signing_time: start,
                    end_signing_time: end,
                    discovery_expiration_time: discovery,
                    signing_algorithm: None,
                };
                (format!("{prefix}{}", x509_key(s)), view)
            }))
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let (items, next) = page.take(items.iter().map(|(k, v)| (k.as_str(), v.clone())));
        Ok(ListWorkloadIdentityProviderOutboundSignersOutput {
            outbound_signers: items,
            is_truncated: next.is_some(),
            marker: next,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::providers::tests::{app, fails, provider, run};
    use super::*;
    use crate::app::App;
    use serde_json::{Value, json};

    const A: &str = "ca-a";
    const B: &str = "ca-b";

    fn signer_input(arn: &str, ca: &str, delay: Option<i64>) -> Value {
        let mut v = json!({
            "WorkloadIdentityProviderArn": arn,
            "OutboundSigner": {"X509": {"CertificateAuthorityId": ca, "AccountId": "123456789012"}},
        });
        if let Some(d) = delay {
            v["SigningDelayInHours"] = json!(d);
        }
        v
    }

    fn kind_input(arn: &str) -> Value {
        json!({"WorkloadIdentityProviderArn": arn, "SignerType": "X509"})
    }

    fn signers_of(app: &App, arn: &str) -> Vec<WorkloadX509Signer> {
        app.read(|e| e.workload_providers[arn].x509_signers.clone())
    }

    /// The (CA ID, status) of every X.509 signer now.
    fn states(app: &App, arn: &str) -> Vec<(String, &'static str)> {
        let now = now_millis();
        signers_of(app, arn)
            .iter()
            .map(|s| (s.certificate_authority_id.clone(), status(s, now)))
            .collect()
    }

    /// Moves every X.509 time of the provider `hours` into the past, as if they had passed.
    async fn pass(app: &App, arn: &str, hours: i64) {
        let account = app.account_id().to_string();
        let mut p = app.read(|e| e.workload_providers[arn].clone());
        for s in &mut p.x509_signers {
            s.start_signing_time -= hours * HOUR;
            s.end_signing_time = s.end_signing_time.map(|t| t - hours * HOUR);
            s.discovery_expiration_time = s.discovery_expiration_time.map(|t| t - hours * HOUR);
        }
        app.write(|_| Ok((vec![Change::put(&account, &p)], ())))
            .await
            .unwrap();
    }

    /// A signer that starts at 100.
    fn signer() -> WorkloadX509Signer {
        WorkloadX509Signer {
            certificate_authority_id: "x".into(),
            account_id: "123456789012".into(),
            start_signing_time: 100,
            end_signing_time: None,
            discovery_expiration_time: None,
            cancelled: false,
            key_algorithm: ca::KEY_ALGORITHM.into(),
            ca_key_ciphertext: String::new(),
            ca_certificate: String::new(),
        }
    }

    #[test]
    fn status_is_read_from_the_times() {
        let mut s = signer();
        assert_eq!(status(&s, 99), "IN_TRANSITION");
        assert_eq!(status(&s, 100), "ACTIVE");
        s.end_signing_time = Some(200);
        s.discovery_expiration_time = Some(300);
        assert_eq!(status(&s, 199), "ACTIVE");
        assert_eq!(status(&s, 200), "VALIDATING");
        assert_eq!(status(&s, 299), "VALIDATING");
        assert_eq!(status(&s, 300), "INACTIVE");
        // Stopped before it ever signed.
        s.end_signing_time = Some(50);
        assert_eq!(status(&s, 60), "VALIDATING");
    }

    #[tokio::test]
    async fn attaches_a_local_authority_that_is_reused() {
        let app = app().await;
        let arn = provider(&app, "p").await;
        let other = provider(&app, "q").await;
        let create = "CreateWorkloadIdentityProviderOutboundSigner";
        run(&app, create, signer_input(&arn, A, None))
            .await
            .unwrap();
        run(&app, create, signer_input(&other, A, Some(48)))
            .await
            .unwrap();
        let (s, t) = (&signers_of(&app, &arn)[0], &signers_of(&app, &other)[0]);
        assert_eq!(s.key_algorithm, "EC_prime256v1");
        assert!(!s.ca_key_ciphertext.contains("PRIVATE KEY"));
        assert_eq!(s.ca_certificate, t.ca_certificate, "the same authority");
        let apart = t.start_signing_time - s.start_signing_time - 47 * HOUR;
        assert!((0..60_000).contains(&apart), "delays: {apart}");
        let m = CaMaterial::open(&app.server_key, s).unwrap();
        assert!(m.key_pem.contains("PRIVATE KEY"));
        let (code, _) = fails(&app, create, signer_input(&arn, B, None)).await;
        assert_eq!(code, "EntityAlreadyExists");
        let mut foreign = signer_input(&arn, B, None);
        foreign["OutboundSigner"]["X509"]["AccountId"] = json!("111122223333");
        let (code, _) = fails(
            &app,
            "UpdateWorkloadIdentityProviderOutboundSigner",
            foreign,
        )
        .await;
        assert_eq!(code, "InvalidInput");
        // An OutboundSigner without its X509 member (the model requires OutboundSigner
        // itself, so the protocol layer refuses a request without it).
        let (code, _) = fails(
            &app,
            create,
            json!({"WorkloadIdentityProviderArn": arn, "OutboundSigner": {}}),
        )
        .await;
        assert_eq!(code, "InvalidInput");
    }

    #[tokio::test]
    async fn rotates_without_gap_or_overlap() {
        let app = app().await;
        let arn = provider(&app, "p").await;
        let update = "UpdateWorkloadIdentityProviderOutboundSigner";
        run(
            &app,
            "CreateWorkloadIdentityProviderOutboundSigner",
            signer_input(&arn, A, None),
        )
        .await
        .unwrap();
        pass(&app, &arn, 2).await;
        assert_eq!(states(&app, &arn), [(A.into(), "ACTIVE")]);
        // Updating to the signing authority with nothing pending changes nothing.
        let before = signers_of(&app, &arn);
        run(&app, update, signer_input(&arn, A, None))
            .await
            .unwrap();
        assert_eq!(signers_of(&app, &arn), before);
        // Rotate to B (default delay 24 hours): A stops exactly when B starts.
        run(&app, update, signer_input(&arn, B, None))
            .await
            .unwrap();
        let s = signers_of(&app, &arn);
        assert_eq!(s[0].end_signing_time, Some(s[1].start_signing_time));
        assert_eq!(
            s[0].discovery_expiration_time,
            Some(s[1].start_signing_time + VALIDATING_MILLIS)
        );
        assert!((s[1].start_signing_time - now_millis() - 24 * HOUR).abs() < 60_000);
        assert_eq!(
            states(&app, &arn),
            [(A.into(), "ACTIVE"), (B.into(), "IN_TRANSITION")]
        );
        // Re-time by naming B: both move to now + 1 hour.
        run(&app, update, signer_input(&arn, B, Some(1)))
            .await
            .unwrap();
        let s = signers_of(&app, &arn);
        assert_eq!(s[0].end_signing_time, Some(s[1].start_signing_time));
        assert!((s[1].start_signing_time - now_millis() - HOUR).abs() < 60_000);
        // Time passes: B signs, A validates, then retires.
        pass(&app, &arn, 2).await;
        assert_eq!(
            states(&app, &arn),
            [(A.into(), "VALIDATING"), (B.into(), "ACTIVE")]
        );
        pass(&app, &arn, 12).await;
        assert_eq!(
            states(&app, &arn),
            [(A.into(), "INACTIVE"), (B.into(), "ACTIVE")]
        );
        let got = run(
            &app,
            "GetWorkloadIdentityProvider",
            json!({"WorkloadIdentityProviderArn": arn}),
        )
        .await
        .unwrap();
        let shown = got["OutboundSigners"]["X509"].as_array().unwrap();
        assert_eq!(shown.len(), 1, "retired entries are left out: {shown:?}");
        assert_eq!(shown[0]["Configuration"]["CertificateAuthorityId"], B);
        // Re-attaching the retired A makes it the incoming signer.
        run(&app, update, signer_input(&arn, A, Some(1)))
            .await
            .unwrap();
        assert_eq!(
            states(&app, &arn),
            [(A.into(), "IN_TRANSITION"), (B.into(), "ACTIVE")]
        );
        // Naming B, the signing one, cancels that rotation: A never signs.
        run(&app, update, signer_input(&arn, B, None))
            .await
            .unwrap();
        let s = signers_of(&app, &arn);
        assert!(s[0].cancelled);
        assert_eq!(s[1].end_signing_time, None);
        assert_eq!(
            states(&app, &arn),
            [(A.into(), "VALIDATING"), (B.into(), "ACTIVE")]
        );
    }

    #[tokio::test]
    async fn disables_and_enables_by_the_rules() {
        let app = app().await;
        let arn = provider(&app, "p").await;
        let update = "UpdateWorkloadIdentityProviderOutboundSigner";
        run(
            &app,
            "CreateWorkloadIdentityProviderOutboundSigner",
            signer_input(&arn, A, None),
        )
        .await
        .unwrap();
        pass(&app, &arn, 2).await;
        run(&app, update, signer_input(&arn, B, Some(5)))
            .await
            .unwrap();
        // Disable stops both halves of the rotation, at once.
        run(
            &app,
            "DisableWorkloadIdentityProviderOutboundSigner",
            kind_input(&arn),
        )
        .await
        .unwrap();
        let s = signers_of(&app, &arn);
        assert_eq!(s[0].end_signing_time, s[1].end_signing_time);
        assert_eq!(
            states(&app, &arn),
            [(A.into(), "VALIDATING"), (B.into(), "VALIDATING")]
        );
        let again = signers_of(&app, &arn);
        run(
            &app,
            "DisableWorkloadIdentityProviderOutboundSigner",
            kind_input(&arn),
        )
        .await
        .unwrap();
        assert_eq!(signers_of(&app, &arn), again, "idempotent");
        // Enable resumes one entry per slot: B, disabled while in transition.
        pass(&app, &arn, 20).await;
        assert_eq!(
            states(&app, &arn),
            [(A.into(), "INACTIVE"), (B.into(), "INACTIVE")]
        );
        run(
            &app,
            "EnableWorkloadIdentityProviderOutboundSigner",
            kind_input(&arn),
        )
        .await
        .unwrap();
        assert_eq!(
            states(&app, &arn),
            [(A.into(), "INACTIVE"), (B.into(), "IN_TRANSITION")]
        );
        // Rotate back to A then cancel: A, stopped by the cancel, is never resumed.
        pass(&app, &arn, 2).await;
        run(&app, update, signer_input(&arn, A, None))
            .await
            .unwrap();
        run(&app, update, signer_input(&arn, B, None))
            .await
            .unwrap();
        run(
            &app,
            "DisableWorkloadIdentityProviderOutboundSigner",
            kind_input(&arn),
        )
        .await
        .unwrap();
        pass(&app, &arn, 1).await;
        run(
            &app,
            "EnableWorkloadIdentityProviderOutboundSigner",
            kind_input(&arn),
        )
        .await
        .unwrap();
        assert_eq!(
            states(&app, &arn),
            [(A.into(), "VALIDATING"), (B.into(), "IN_TRANSITION")]
        );
        let mut jwt = kind_input(&arn);
        jwt["SignerType"] = json!("JWT");
        let (code, _) = fails(&app, "EnableWorkloadIdentityProviderOutboundSigner", jwt).await;
        assert_eq!(code, "InvalidInput");
    }

    #[tokio::test]
    async fn a_full_slot_sheds_its_oldest_inactive_entries() {
        let app = app().await;
        let arn = provider(&app, "p").await;
        let update = "UpdateWorkloadIdentityProviderOutboundSigner";
        let create = "CreateWorkloadIdentityProviderOutboundSigner";
        run(&app, create, signer_input(&arn, "ca-0", None))
            .await
            .unwrap();
        // Each new authority cancels the pending one: VALIDATING, not yet retired.
        for i in 1..SIGNERS_PER_SLOT {
            run(
                &app,
                update,
                signer_input(&arn, &format!("ca-{i}"), Some(1)),
            )
            .await
            .unwrap();
        }
        assert!(states(&app, &arn).iter().all(|(_, s)| *s != "INACTIVE"));
        let (code, msg) = fails(&app, update, signer_input(&arn, "ca-5", None)).await;
        assert_eq!(code, "LimitExceeded");
        assert_eq!(msg, "Cannot exceed quota for X509OutboundSignersPerSlot: 5");
        assert_eq!(signers_of(&app, &arn).len(), SIGNERS_PER_SLOT);
        // Twelve hours on, the cancelled ones are retired; the oldest makes room.
        pass(&app, &arn, 12).await;
        let ids = |app: &App| -> Vec<String> {
            signers_of(app, &arn)
                .iter()
                .map(|s| s.certificate_authority_id.clone())
                .collect()
        };
        assert_eq!(
            states(&app, &arn)
                .iter()
                .map(|(_, s)| *s)
                .collect::<Vec<_>>(),
            ["VALIDATING", "INACTIVE", "INACTIVE", "INACTIVE", "ACTIVE"]
        );
        run(&app, update, signer_input(&arn, "ca-5", None))
            .await
            .unwrap();
        assert_eq!(ids(&app), ["ca-0", "ca-2", "ca-3", "ca-4", "ca-5"]);
        // Deleting needs the entry stopped; a wrong account is refused.
        let delete = "DeleteWorkloadIdentityProviderOutboundSigner";
        let (code, msg) = fails(&app, delete, signer_input(&arn, "ca-4", None)).await;
        assert_eq!(code, "InvalidInput");
        assert!(msg.contains("is ACTIVE"), "{msg}");
        let mut wrong = signer_input(&arn, "ca-2", None);
        wrong["OutboundSigner"]["X509"]["AccountId"] = json!("111122223333");
        let (code, msg) = fails(&app, delete, wrong).await;
        assert_eq!(code, "InvalidInput", "{msg}");
        let out = run(&app, delete, signer_input(&arn, "ca-2", None))
            .await
            .unwrap();
        assert_eq!(out["Status"], "SUCCEEDED");
        assert_eq!(out["WorkloadIdentityProviderArn"], arn);
        assert_eq!(
            out["OutboundSigner"]["X509"]["CertificateAuthorityId"],
            "ca-2"
        );
        assert_eq!(ids(&app), ["ca-0", "ca-3", "ca-4", "ca-5"]);
        let (code, _) = fails(&app, delete, signer_input(&arn, "ca-2", None)).await;
        assert_eq!(code, "NoSuchEntity");
    }

    #[tokio::test]
    async fn lists_every_signer_in_stable_pages() {
        let app = app().await;
        let arn = provider(&app, "p").await;
        run(
            &app,
            "CreateWorkloadIdentityProviderOutboundSigner",
            signer_input(&arn, A, None),
        )
        .await
        .unwrap();
        let list = "ListWorkloadIdentityProviderOutboundSigners";
        let all = run(&app, list, json!({"WorkloadIdentityProviderArn": arn}))
            .await
            .unwrap();
        let all = all["OutboundSigners"].as_array().unwrap().clone();
        assert_eq!(all.len(), 3);
        let x509 = all.iter().find(|s| s["SignerType"] == "X509").unwrap();
        assert_eq!(x509["Status"], "IN_TRANSITION");
        assert_eq!(x509["Configuration"]["X509"]["CertificateAuthorityId"], A);
        let jwt = all.iter().find(|s| s["SignerType"] == "JWT").unwrap();
        assert!(jwt.get("Status").is_none());
        assert!(jwt["Configuration"]["Jwt"]["KeyAlgorithm"].is_string());
        let mut paged_items = Vec::new();
        let mut input = json!({"WorkloadIdentityProviderArn": arn, "MaxItems": 1});
        loop {
            let page = run(&app, list, input.clone()).await.unwrap();
            paged_items.extend(page["OutboundSigners"].as_array().unwrap().iter().cloned());
            if page["IsTruncated"] == false {
                break;
            }
            input["Marker"] = page["Marker"].clone();
        }
        assert_eq!(paged_items, all);
        let other = provider(&app, "q").await;
        let (code, _) = fails(
            &app,
            list,
            json!({"WorkloadIdentityProviderArn": other, "Marker": input["Marker"]}),
        )
        .await;
        assert_eq!(code, "ValidationError");
    }
}
