//! Virtual MFA devices through the AWS SDK for Rust: CreateVirtualMFADevice (a Base32 seed
//! and a real QR code PNG of AWS's `otpauth://` URI), EnableMFADevice with two consecutive
//! TOTP codes computed from the seed, ResyncMFADevice, DeactivateMFADevice,
//! DeleteVirtualMFADevice, ListMFADevices, ListVirtualMFADevices, GetMFADevice, tags, the
//! account summary, DeleteUser's conflict, codes that are never accepted twice (even after
//! a restart), authorization of users managing their own device, and AWS's errors, each
//! checked to change nothing.

#[macro_use]
mod common;

use aws_sdk_iam::primitives::Blob;
use aws_sdk_iam::types::AssignmentStatusType;
use common::*;
use portcullis_server::totp_code;

const ISSUER: &str = "Amazon%20Web%20Services";

/// The serial number (ARN) of a device at a path.
fn serial(path: &str, name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT_ID}:mfa{path}{name}")
}

/// The code an authenticator app shows for `seed` during time step `step`.
fn code(seed: &str, step: i64) -> String {
    totp_code(seed, step * 30)
}

/// The current time step.
fn now_step() -> i64 {
    now_epoch() / 30
}

/// Two consecutive codes, as a person enters them: this step's and the next one's (the
/// server accepts the pair whichever of the two steps it is now). Returns the step of the
/// second.
fn consecutive(seed: &str) -> (String, String, i64) {
    let t = now_step();
    (code(seed, t), code(seed, t + 1), t + 1)
}

/// Every virtual MFA device with its assignment and tags, for "nothing changed" checks.
async fn mfa_state(iam: &aws_sdk_iam::Client) -> String {
    let devices = iam
        .list_virtual_mfa_devices()
        .max_items(1000)
        .send()
        .await
        .expect("ListVirtualMFADevices");
    let mut out = String::new();
    for d in devices.virtual_mfa_devices() {
        let tags = iam
            .list_mfa_device_tags()
            .serial_number(d.serial_number())
            .send()
            .await
            .expect("ListMFADeviceTags");
        out.push_str(&format!("{d:?} tags {:?}\n", tags.tags()));
    }
    out
}

/// Like `rejects!`, and also checks that no MFA device changed.
macro_rules! refused {
    ($iam:expr, $call:expr, $code:expr) => {{
        let before = mfa_state(&$iam).await;
        let failure = rejects!($iam, $call, $code);
        let after = mfa_state(&$iam).await;
        assert_same_state(&before, &after);
        failure
    }};
}

/// A new device: its serial number and Base32 seed.
async fn new_device(iam: &aws_sdk_iam::Client, name: &str) -> (String, String) {
    let out = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name(name)
        .send()
        .await
        .expect("CreateVirtualMFADevice");
    let d = out.virtual_mfa_device().expect("VirtualMFADevice");
    (
        d.serial_number().to_string(),
        seed_text(d.base32_string_seed()),
    )
}

fn seed_text(blob: Option<&Blob>) -> String {
    String::from_utf8(blob.expect("Base32StringSeed").as_ref().to_vec()).expect("ASCII seed")
}

/// Enables a device for a user with fresh consecutive codes.
async fn enable(iam: &aws_sdk_iam::Client, user: &str, serial: &str, seed: &str) {
    let (c1, c2, _) = consecutive(seed);
    iam.enable_mfa_device()
        .user_name(user)
        .serial_number(serial)
        .authentication_code1(c1)
        .authentication_code2(c2)
        .send()
        .await
        .expect("EnableMFADevice");
}

async fn summary(iam: &aws_sdk_iam::Client, key: &str) -> i32 {
    let s = iam
        .get_account_summary()
        .send()
        .await
        .expect("GetAccountSummary");
    *s.summary_map()
        .expect("SummaryMap")
        .iter()
        .find(|(k, _)| k.as_str() == key)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("{key} in the summary"))
}

/// Decodes a PNG, checks it is a square 1-bit greyscale image, and reads the QR code in it.
fn read_qr_code(png_bytes: &[u8]) -> String {
    assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n", "the PNG signature");
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG header");
    let info = reader.info();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    assert_eq!(info.bit_depth, png::BitDepth::One);
    assert_eq!(info.width, info.height, "a QR code is square");
    assert!(info.width >= 100, "large enough to scan: {}", info.width);
    let mut pixels = vec![0; reader.output_buffer_size().expect("a buffer size")];
    let frame = reader.next_frame(&mut pixels).expect("the image data");
    assert_eq!(frame.color_type, png::ColorType::Grayscale);
    assert_eq!(frame.bit_depth, png::BitDepth::Eight);
    let (w, h, line) = (frame.width as usize, frame.height as usize, frame.line_size);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * line + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    let (_, text) = grids[0].decode().expect("a readable QR code");
    text
}

#[tokio::test]
async fn virtual_device_lifecycle() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user()
        .user_name("alice")
        .send()
        .await
        .expect("CreateUser");

    // CreateVirtualMFADevice: the serial number is the ARN with the path.
    let created = iam
        .create_virtual_mfa_device()
        .virtual_mfa_device_name("alice-phone")
        .path("/staff/")
        .tags(tag("team", "ml"))
        .send()
        .await
        .expect("CreateVirtualMFADevice");
    let d = created.virtual_mfa_device().expect("VirtualMFADevice");
    let sn = serial("/staff/", "alice-phone");
    assert_eq!(d.serial_number(), sn);
    assert!(d.user().is_none());
    assert!(d.enable_date().is_none());
    assert_eq!(tag_pairs(d.tags()), [("team".into(), "ml".into())]);
    // The seed: 64 Base32 characters (320 bits), as AWS's.
    let seed = seed_text(d.base32_string_seed());
    assert_eq!(seed.len(), 64, "{seed}");
    assert!(
        seed.bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
        "{seed}"
    );
    // The QR code: a real PNG of AWS's otpauth:// URI, which authenticator apps read.
    let png = d.qr_code_png().expect("QRCodePNG").as_ref();
    assert_eq!(
        read_qr_code(png),
        format!("otpauth://totp/{ISSUER}:alice-phone@{ACCOUNT_ID}?secret={seed}&issuer={ISSUER}")
    );
    // A second device has another seed.
    let (other_sn, other_seed) = new_device(&iam, "spare").await;
    assert_ne!(other_seed, seed);
    assert_eq!(other_sn, serial("/", "spare"));

    assert_eq!(summary(&iam, "MFADevices").await, 2);
    assert_eq!(summary(&iam, "MFADevicesInUse").await, 0);
    let unassigned = iam
        .list_virtual_mfa_devices()
        .assignment_status(AssignmentStatusType::Unassigned)
        .send()
        .await
        .expect("ListVirtualMFADevices");
    let listed: Vec<&str> = unassigned
        .virtual_mfa_devices()
        .iter()
        .map(|d| d.serial_number())
        .collect();
    assert_eq!(listed, [other_sn.as_str(), sn.as_str()]);
    for d in unassigned.virtual_mfa_devices() {
        assert!(d.user().is_none() && d.enable_date().is_none());
        // Seeds are shown once, at creation; lists show no tags.
        assert!(d.base32_string_seed().is_none() && d.qr_code_png().is_none());
        assert!(d.tags().is_empty());
    }
    let none = iam
        .list_mfa_devices()
        .user_name("alice")
        .send()
        .await
        .expect("ListMFADevices");
    assert!(none.mfa_devices().is_empty());
    assert!(!none.is_truncated());

    // EnableMFADevice with two consecutive codes computed from the seed.
    let (c1, c2, step) = consecutive(&seed);
    iam.enable_mfa_device()
        .user_name("alice")
        .serial_number(&sn)
        .authentication_code1(&c1)
        .authentication_code2(&c2)
        .send()
        .await
        .expect("EnableMFADevice");
    let mine = iam
        .list_mfa_devices()
        .user_name("alice")
        .send()
        .await
        .expect("ListMFADevices");
    assert_eq!(mine.mfa_devices().len(), 1);
    let m = &mine.mfa_devices()[0];
    assert_eq!(m.user_name(), "alice");
    assert_eq!(m.serial_number(), sn);
    assert_recent(m.enable_date());
    let assigned = iam
        .list_virtual_mfa_devices()
        .assignment_status(AssignmentStatusType::Assigned)
        .send()
        .await
        .expect("ListVirtualMFADevices");
    assert_eq!(assigned.virtual_mfa_devices().len(), 1);
    let a = &assigned.virtual_mfa_devices()[0];
    assert_eq!(a.serial_number(), sn);
    let user = a.user().expect("the User of an assigned device");
    assert_eq!(user.user_name(), "alice");
    assert_eq!(user.arn(), "arn:aws:iam::123456789012:user/alice");
    assert_recent(a.enable_date().expect("EnableDate"));
    let any = iam
        .list_virtual_mfa_devices()
        .send()
        .await
        .expect("ListVirtualMFADevices (Any)");
    assert_eq!(any.virtual_mfa_devices().len(), 2);
    let got = iam
        .get_mfa_device()
        .serial_number(&sn)
        .user_name("alice")
        .send()
        .await
        .expect("GetMFADevice");
    assert_eq!(got.serial_number(), sn);
    assert_eq!(got.user_name(), Some("alice"));
    assert_recent(got.enable_date().expect("EnableDate"));
    assert_eq!(summary(&iam, "MFADevices").await, 2);
    assert_eq!(summary(&iam, "MFADevicesInUse").await, 1);

    // Tags.
    iam.tag_mfa_device()
        .serial_number(&sn)
        .tags(tag("Team", "platform"))
        .tags(tag("cost", "42"))
        .send()
        .await
        .expect("TagMFADevice");
    let tags = iam
        .list_mfa_device_tags()
        .serial_number(&sn)
        .send()
        .await
        .expect("ListMFADeviceTags");
    assert_eq!(
        tag_pairs(tags.tags()),
        [
            ("team".into(), "platform".into()),
            ("cost".into(), "42".into())
        ]
    );
    iam.untag_mfa_device()
        .serial_number(&sn)
        .tag_keys("TEAM")
        .send()
        .await
        .expect("UntagMFADevice");
    let tags = iam
        .list_mfa_device_tags()
        .serial_number(&sn)
        .send()
        .await
        .unwrap();
    assert_eq!(tag_pairs(tags.tags()), [("cost".into(), "42".into())]);

    // A user with an enabled device cannot be deleted, nor can the device.
    let f = refused!(
        iam,
        iam.delete_user().user_name("alice").send(),
        "DeleteConflict"
    );
    assert_eq!(
        f.message,
        "Cannot delete entity, must delete MFA device first."
    );
    assert_eq!(f.status, 409);
    let f = refused!(
        iam,
        iam.delete_virtual_mfa_device().serial_number(&sn).send(),
        "DeleteConflict"
    );
    assert_eq!(f.status, 409);

    // ResyncMFADevice: the codes used to enable are not accepted again; later ones are.
    let f = refused!(
        iam,
        iam.resync_mfa_device()
            .user_name("alice")
            .serial_number(&sn)
            .authentication_code1(&c1)
            .authentication_code2(&c2)
            .send(),
        "InvalidAuthenticationCode"
    );
    assert_eq!(f.message, "Authentication code for device is not valid.");
    assert_eq!(f.status, 403);
    iam.resync_mfa_device()
        .user_name("alice")
        .serial_number(&sn)
        .authentication_code1(code(&seed, step + 1))
        .authentication_code2(code(&seed, step + 2))
        .send()
        .await
        .expect("ResyncMFADevice");

    // DeactivateMFADevice: unassigned again, and the user can go.
    iam.deactivate_mfa_device()
        .user_name("alice")
        .serial_number(&sn)
        .send()
        .await
        .expect("DeactivateMFADevice");
    let none = iam
        .list_mfa_devices()
        .user_name("alice")
        .send()
        .await
        .unwrap();
    assert!(none.mfa_devices().is_empty());
    let unassigned = iam
        .list_virtual_mfa_devices()
        .assignment_status(AssignmentStatusType::Unassigned)
        .send()
        .await
        .unwrap();
    assert_eq!(unassigned.virtual_mfa_devices().len(), 2);
    assert_eq!(summary(&iam, "MFADevicesInUse").await, 0);
    iam.delete_user()
        .user_name("alice")
        .send()
        .await
        .expect("DeleteUser");

    // DeleteVirtualMFADevice.
    iam.delete_virtual_mfa_device()
        .serial_number(&sn)
        .send()
        .await
        .expect("DeleteVirtualMFADevice");
    iam.delete_virtual_mfa_device()
        .serial_number(&other_sn)
        .send()
        .await
        .expect("DeleteVirtualMFADevice");
    let all = iam.list_virtual_mfa_devices().send().await.unwrap();
    assert!(all.virtual_mfa_devices().is_empty());
    assert_eq!(summary(&iam, "MFADevices").await, 0);
}

#[tokio::test]
async fn a_device_can_be_enabled_again_for_another_user() {
    let server = Server::start();
    let iam = iam(&server);
    for u in ["alice", "bob"] {
        iam.create_user().user_name(u).send().await.unwrap();
    }
    let (sn, seed) = new_device(&iam, "shared").await;
    let (c1, c2, step) = consecutive(&seed);
    iam.enable_mfa_device()
        .user_name("alice")
        .serial_number(&sn)
        .authentication_code1(&c1)
        .authentication_code2(&c2)
        .send()
        .await
        .unwrap();
    iam.deactivate_mfa_device()
        .user_name("alice")
        .serial_number(&sn)
        .send()
        .await
        .unwrap();
    // The codes already used stay used.
    refused!(
        iam,
        iam.enable_mfa_device()
            .user_name("bob")
            .serial_number(&sn)
            .authentication_code1(&c1)
            .authentication_code2(&c2)
            .send(),
        "InvalidAuthenticationCode"
    );
    iam.enable_mfa_device()
        .user_name("bob")
        .serial_number(&sn)
        .authentication_code1(code(&seed, step + 1))
        .authentication_code2(code(&seed, step + 2))
        .send()
        .await
        .expect("EnableMFADevice for bob");
    let got = iam
        .get_mfa_device()
        .serial_number(&sn)
        .send()
        .await
        .expect("GetMFADevice without a user name (root)");
    assert_eq!(got.user_name(), Some("bob"));
}

#[tokio::test]
async fn errors_change_nothing() {
    let server = Server::start();
    let iam = iam(&server);
    for u in ["alice", "bob"] {
        iam.create_user().user_name(u).send().await.unwrap();
    }
    let (sn, seed) = new_device(&iam, "phone").await;
    let missing = serial("/", "missing");
    let not_exist = |s: &str| format!("MFA Device with serial number {s} does not exist.");

    // CreateVirtualMFADevice: the same name at the same path.
    let f = refused!(
        iam,
        iam.create_virtual_mfa_device()
            .virtual_mfa_device_name("phone")
            .send(),
        "EntityAlreadyExists"
    );
    assert_eq!(f.message, "MFA device already exists.");
    assert_eq!(f.status, 409);
    refused!(
        iam,
        iam.create_virtual_mfa_device()
            .virtual_mfa_device_name("PHONE")
            .send(),
        "EntityAlreadyExists"
    );
    refused!(
        iam,
        iam.create_virtual_mfa_device()
            .virtual_mfa_device_name("bad name")
            .send(),
        "ValidationError"
    );
    refused!(
        iam,
        iam.create_virtual_mfa_device()
            .virtual_mfa_device_name("other")
            .tags(tag("aws:reserved", "x"))
            .send(),
        "InvalidInput"
    );

    // EnableMFADevice: the user first, then the device, then the codes.
    let (c1, c2, step) = consecutive(&seed);
    let f = refused!(
        iam,
        iam.enable_mfa_device()
            .user_name("nobody")
            .serial_number(&sn)
            .authentication_code1(&c1)
            .authentication_code2(&c2)
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(f.message, "The user with name nobody cannot be found.");
    let f = refused!(
        iam,
        iam.enable_mfa_device()
            .user_name("alice")
            .serial_number(&missing)
            .authentication_code1(&c1)
            .authentication_code2(&c2)
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(f.message, not_exist(&missing));
    assert_eq!(f.status, 404);
    let wrong = |c: &str| format!("{:06}", (c.parse::<u32>().unwrap() + 1) % 1_000_000);
    for (a, b) in [
        (wrong(&c1), c2.clone()),
        (c1.clone(), wrong(&c2)),
        (c2.clone(), c1.clone()),
        (c1.clone(), code(&seed, step + 1)),
        (c1.clone(), c1.clone()),
        (code(&seed, step - 60), code(&seed, step - 59)),
    ] {
        if a == c1 && b == c2 {
            continue;
        }
        let f = refused!(
            iam,
            iam.enable_mfa_device()
                .user_name("alice")
                .serial_number(&sn)
                .authentication_code1(&a)
                .authentication_code2(&b)
                .send(),
            "InvalidAuthenticationCode"
        );
        assert_eq!(f.message, "Authentication code for device is not valid.");
        assert_eq!(f.status, 403);
    }
    refused!(
        iam,
        iam.enable_mfa_device()
            .user_name("alice")
            .serial_number(&sn)
            .authentication_code1("12345")
            .authentication_code2(&c2)
            .send(),
        "ValidationError"
    );

    // Enabled for alice: not again, for her or for bob.
    iam.enable_mfa_device()
        .user_name("alice")
        .serial_number(&sn)
        .authentication_code1(&c1)
        .authentication_code2(&c2)
        .send()
        .await
        .expect("EnableMFADevice");
    for user in ["alice", "bob"] {
        let f = refused!(
            iam,
            iam.enable_mfa_device()
                .user_name(user)
                .serial_number(&sn)
                .authentication_code1(code(&seed, step + 1))
                .authentication_code2(code(&seed, step + 2))
                .send(),
            "EntityAlreadyExists"
        );
        assert_eq!(f.message, "MFA Device is already in use.");
    }

    // DeactivateMFADevice: the user, then the device of that user.
    let f = refused!(
        iam,
        iam.deactivate_mfa_device()
            .user_name("nobody")
            .serial_number(&sn)
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(f.message, "The user with name nobody cannot be found.");
    for s in [&sn, &missing] {
        let f = refused!(
            iam,
            iam.deactivate_mfa_device()
                .user_name("bob")
                .serial_number(s)
                .send(),
            "NoSuchEntity"
        );
        assert_eq!(f.message, not_exist(s));
    }
    refused!(
        iam,
        iam.deactivate_mfa_device().serial_number(&sn).send(),
        "ValidationError"
    );

    // ResyncMFADevice: only the user's enabled device, only with valid codes.
    let f = refused!(
        iam,
        iam.resync_mfa_device()
            .user_name("bob")
            .serial_number(&sn)
            .authentication_code1(code(&seed, step + 1))
            .authentication_code2(code(&seed, step + 2))
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(f.message, not_exist(&sn));
    refused!(
        iam,
        iam.resync_mfa_device()
            .user_name("alice")
            .serial_number(&sn)
            .authentication_code1(code(&seed, step + 2))
            .authentication_code2(code(&seed, step + 1))
            .send(),
        "InvalidAuthenticationCode"
    );

    // DeleteVirtualMFADevice, GetMFADevice, ListMFADevices and the tag operations.
    let f = refused!(
        iam,
        iam.delete_virtual_mfa_device()
            .serial_number(&missing)
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(f.message, not_exist(&missing));
    let f = refused!(
        iam,
        iam.get_mfa_device()
            .serial_number(&sn)
            .user_name("bob")
            .send(),
        "NoSuchEntity"
    );
    assert_eq!(f.message, not_exist(&sn));
    refused!(
        iam,
        iam.get_mfa_device().serial_number(&missing).send(),
        "NoSuchEntity"
    );
    let f = refused!(
        iam,
        iam.list_mfa_devices().user_name("nobody").send(),
        "NoSuchEntity"
    );
    assert_eq!(f.message, "The user with name nobody cannot be found.");
    refused!(
        iam,
        iam.tag_mfa_device()
            .serial_number(&missing)
            .tags(tag("a", "b"))
            .send(),
        "NoSuchEntity"
    );
    refused!(
        iam,
        iam.tag_mfa_device()
            .serial_number(&sn)
            .tags(tag("a", "b"))
            .tags(tag("A", "c"))
            .send(),
        "InvalidInput"
    );
    refused!(
        iam,
        iam.untag_mfa_device()
            .serial_number(&missing)
            .tag_keys("a")
            .send(),
        "NoSuchEntity"
    );
    refused!(
        iam,
        iam.list_mfa_device_tags().serial_number(&missing).send(),
        "NoSuchEntity"
    );
    // AWS answers ValidationError "Invalid Marker.".
    let f = fail(iam.list_virtual_mfa_devices().marker("!!").send().await);
    assert_eq!(f.code, "ValidationError", "{f:?}");
    assert_eq!(f.status, 400);
    assert_eq!(f.message, "Invalid Marker.");
}

#[tokio::test]
async fn at_most_eight_devices_per_user() {
    let server = Server::start();
    let iam = iam(&server);
    iam.create_user().user_name("carol").send().await.unwrap();
    for i in 0..8 {
        let (sn, seed) = new_device(&iam, &format!("key-{i}")).await;
        enable(&iam, "carol", &sn, &seed).await;
    }
    let (sn, seed) = new_device(&iam, "key-8").await;
    let (c1, c2, _) = consecutive(&seed);
    let f = refused!(
        iam,
        iam.enable_mfa_device()
            .user_name("carol")
            .serial_number(&sn)
            .authentication_code1(c1)
            .authentication_code2(c2)
            .send(),
        "LimitExceeded"
    );
    assert_eq!(f.status, 409);
    assert_eq!(summary(&iam, "MFADevicesInUse").await, 8);

    // Listing pages through them in serial-number order.
    let mut seen = Vec::new();
    let mut marker = None;
    loop {
        let page = iam
            .list_mfa_devices()
            .user_name("carol")
            .max_items(3)
            .set_marker(marker)
            .send()
            .await
            .expect("ListMFADevices");
        assert!(page.mfa_devices().len() <= 3);
        seen.extend(
            page.mfa_devices()
                .iter()
                .map(|d| d.serial_number().to_string()),
        );
        marker = page.marker().map(str::to_string);
        if !page.is_truncated() {
            break;
        }
    }
    let expected: Vec<String> = (0..8).map(|i| serial("/", &format!("key-{i}"))).collect();
    assert_eq!(seen, expected);
    let page = iam
        .list_virtual_mfa_devices()
        .max_items(5)
        .send()
        .await
        .unwrap();
    assert_eq!(page.virtual_mfa_devices().len(), 5);
    assert!(page.is_truncated());
    let rest = iam
        .list_virtual_mfa_devices()
        .marker(page.marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.virtual_mfa_devices().len(), 4);
    assert!(!rest.is_truncated());
}

#[tokio::test]
async fn used_codes_stay_used_across_a_restart() {
    let dir = TempDir::new("mfa");
    let root = Credentials::generate();
    let server = Server::start_on(dir.path(), &root);
    let client = iam(&server);
    client.create_user().user_name("dave").send().await.unwrap();
    let (sn, seed) = new_device(&client, "dave-phone").await;
    let (c1, c2, step) = consecutive(&seed);
    client
        .enable_mfa_device()
        .user_name("dave")
        .serial_number(&sn)
        .authentication_code1(&c1)
        .authentication_code2(&c2)
        .send()
        .await
        .expect("EnableMFADevice");
    server.kill();

    // The seed is not stored in clear.
    for file in files_under(dir.path()) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !contains_bytes(&bytes, seed.as_bytes()),
            "{} holds the seed in clear",
            file.display()
        );
    }

    let server = Server::start_on(dir.path(), &root);
    let client = iam(&server);
    let f = refused!(
        client,
        client
            .resync_mfa_device()
            .user_name("dave")
            .serial_number(&sn)
            .authentication_code1(&c1)
            .authentication_code2(&c2)
            .send(),
        "InvalidAuthenticationCode"
    );
    assert_eq!(f.message, "Authentication code for device is not valid.");
    client
        .resync_mfa_device()
        .user_name("dave")
        .serial_number(&sn)
        .authentication_code1(code(&seed, step + 1))
        .authentication_code2(code(&seed, step + 2))
        .send()
        .await
        .expect("ResyncMFADevice after a restart (the seed decrypts)");
    let listed = client
        .list_mfa_devices()
        .user_name("dave")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.mfa_devices()[0].serial_number(), sn);
}

#[tokio::test]
async fn users_manage_their_own_device() {
    let server = Server::start();
    let root = iam(&server);
    let (key, secret) = user_with_key(&root, "erin").await;
    // The AWS example policy for managing one's own virtual MFA device.
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iam:CreateVirtualMFADevice","iam:DeleteVirtualMFADevice","iam:TagMFADevice"],"Resource":"arn:aws:iam::*:mfa/${aws:username}"},
        {"Effect":"Allow","Action":["iam:EnableMFADevice","iam:DeactivateMFADevice","iam:ListMFADevices","iam:ResyncMFADevice","iam:GetMFADevice"],"Resource":"arn:aws:iam::*:user/${aws:username}"},
        {"Effect":"Allow","Action":"iam:ListVirtualMFADevices","Resource":"*"}]}"#;
    root.put_user_policy()
        .user_name("erin")
        .policy_name("own-mfa")
        .policy_document(policy)
        .send()
        .await
        .unwrap();
    let erin = iam_with(&server, &key, &secret);

    let (sn, seed) = new_device(&erin, "erin").await;
    assert_eq!(sn, serial("/", "erin"));
    let f = fail(
        erin.create_virtual_mfa_device()
            .virtual_mfa_device_name("someone-else")
            .send()
            .await,
    );
    assert_eq!(f.code, "AccessDenied");
    assert_eq!(
        f.message,
        "User: arn:aws:iam::123456789012:user/erin is not authorized to perform: iam:CreateVirtualMFADevice on resource: arn:aws:iam::123456789012:mfa/someone-else because no identity-based policy allows the iam:CreateVirtualMFADevice action"
    );
    erin.tag_mfa_device()
        .serial_number(&sn)
        .tags(tag("owner", "erin"))
        .send()
        .await
        .expect("TagMFADevice on her own device");

    // Without a user name, the operations act on the caller.
    let (c1, c2, _) = consecutive(&seed);
    erin.enable_mfa_device()
        .user_name("erin")
        .serial_number(&sn)
        .authentication_code1(c1)
        .authentication_code2(c2)
        .send()
        .await
        .expect("EnableMFADevice");
    let mine = erin
        .list_mfa_devices()
        .send()
        .await
        .expect("ListMFADevices");
    assert_eq!(mine.mfa_devices().len(), 1);
    assert_eq!(mine.mfa_devices()[0].user_name(), "erin");
    let got = erin
        .get_mfa_device()
        .serial_number(&sn)
        .send()
        .await
        .expect("GetMFADevice");
    assert_eq!(got.user_name(), Some("erin"));
    erin.deactivate_mfa_device()
        .serial_number(&sn)
        .send()
        .await
        .expect("DeactivateMFADevice of the caller");
    erin.delete_virtual_mfa_device()
        .serial_number(&sn)
        .send()
        .await
        .expect("DeleteVirtualMFADevice");
}
