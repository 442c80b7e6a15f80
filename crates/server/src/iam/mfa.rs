//! Virtual MFA devices: create, enable for a user with two consecutive codes, resynchronize,
//! deactivate, delete, list, tag; and [`check_code`], which STS calls to verify the one-time
//! code of a request made with MFA.
//!
//! Codes are RFC 6238 TOTP (HMAC-SHA1, six digits, 30-second steps), as the authenticator
//! apps AWS supports produce them. The seed is kept encrypted with the server key. A code is
//! accepted once: every accepted time step is recorded, durably, and no code of that step or
//! of an earlier one is accepted again, even after a restart. The device's clock may differ
//! from the server's: EnableMFADevice and ResyncMFADevice measure the difference (the
//! drift), and [`check_code`] accepts the step the drift predicts and one step either side.
//!
//! AWS messages used here, with where they come from:
//! - `MFA device already exists.`, `MFA Device is already in use.` (EntityAlreadyExists),
//!   `MFA Device with serial number {serial} does not exist.` (NoSuchEntity): responses of
//!   real AWS recorded in February 2026 (localstack `tests/aws/services/iam/test_iam_mfa.snapshot.json`).
//! - `Authentication code for device is not valid.` (InvalidAuthenticationCode, 403): real
//!   console and API transcripts, and the `invalidAuthenticationCodeMessage` of the model.
//! - `Cannot delete entity, must delete MFA device first.` (DeleteUser): real transcripts
//!   (aws-nuke#281, aws-cdk#16511).
//! - GetSessionToken/AssumeRole: see [`check_code`].
//! - Not found in any transcript, so written in AWS's style: the DeleteConflict of
//!   DeleteVirtualMFADevice and the LimitExceeded quotas.

mod qr_png;
mod totp;

use super::rules::{self, check_tags, merge_tags, over_quota, quota};
use super::users;
use super::views;
use crate::app::App;
use crate::call::Ctx;
use crate::call::input::Page;
use crate::error::Error;
use crate::secrets::random_bytes;
use crate::time::{now_millis, now_seconds};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use portcullis_protocol::Timestamp;
use portcullis_protocol::iam::{
    CreateVirtualMFADeviceInput, CreateVirtualMFADeviceOutput, DeactivateMFADeviceInput,
    DeleteVirtualMFADeviceInput, EnableMFADeviceInput, GetMFADeviceInput, GetMFADeviceOutput,
    IamErrorCode, ListMFADeviceTagsInput, ListMFADeviceTagsOutput, ListMFADevicesInput,
    ListMFADevicesOutput, ListVirtualMFADevicesInput, ListVirtualMFADevicesOutput, MFADevice,
    ResyncMFADeviceInput, TagMFADeviceInput, UntagMFADeviceInput, VirtualMFADevice,
};
use portcullis_store::{Change, Entities, MfaDevice, StoreError, Tag};

/// MFA devices one user may have enabled (IAM User Guide, "IAM and AWS STS quotas").
pub(crate) const MFA_DEVICES_PER_USER: usize = 8;

/// Bytes of a new seed. AWS's seeds are 64 Base32 characters: 320 bits.
const SEED_BYTES: usize = 40;

/// The issuer that AWS's QR codes name (URL-encoded), before the label and as `issuer=`.
const ISSUER: &str = "Amazon%20Web%20Services";

/// How far (in steps, either way) EnableMFADevice and ResyncMFADevice look for the two
/// consecutive codes: ten minutes of clock difference.
pub(crate) const SYNC_WINDOW_STEPS: i64 = 20;

/// How far (in steps, either way) [`check_code`] looks around the step the drift predicts.
pub(crate) const SKEW_STEPS: i64 = 1;

/// The longest serial number (the model's `serialNumberType`).
const MAX_SERIAL_NUMBER: usize = 256;

fn not_found(serial_number: &str) -> Error {
    Error::no_such_entity(format!(
        "MFA Device with serial number {serial_number} does not exist."
    ))
}

fn invalid_codes() -> Error {
    Error::aws(
        IamErrorCode::InvalidAuthenticationCode,
        "Authentication code for device is not valid.",
    )
}

/// The device with this serial number, or IAM's NoSuchEntity.
pub(crate) fn find<'e>(e: &'e Entities, serial_number: &str) -> Result<&'e MfaDevice, Error> {
    e.mfa_device(serial_number)
        .ok_or_else(|| not_found(serial_number))
}

/// The device with this serial number if it is enabled for the user, else NoSuchEntity.
fn find_enabled<'e>(
    e: &'e Entities,
    serial_number: &str,
    user_id: &str,
) -> Result<&'e MfaDevice, Error> {
    e.mfa_device(serial_number)
        .filter(|d| d.user_id.as_deref() == Some(user_id))
        .ok_or_else(|| not_found(serial_number))
}

/// The device's seed in clear.
fn seed(app: &App, device: &MfaDevice) -> Result<Vec<u8>, Error> {
    app.server_key
        .decrypt(&device.seed_ciphertext)
        .and_then(|text| totp::base32_decode(&text))
        .ok_or_else(|| {
            Error::Store(StoreError::Corrupt(format!(
                "the seed of MFA device {} cannot be decrypted with the server key",
                device.serial_number
            )))
        })
}

/// The step of the second of two consecutive codes (`first` at step t - 1, `second` at t),
/// looking up to [`SYNC_WINDOW_STEPS`] either way of `now_step`, nearest first. Steps at or
/// before `last_used` are not accepted again.
fn consecutive_codes(
    key: &[u8],
    first: &str,
    second: &str,
    now_step: i64,
    last_used: Option<i64>,
) -> Option<i64> {
    if !totp::well_formed(first) || !totp::well_formed(second) {
        return None;
    }
    let offsets = (0..=SYNC_WINDOW_STEPS).flat_map(|d| if d == 0 { vec![0] } else { vec![-d, d] });
    offsets.map(|d| now_step + d).find(|&t| {
        last_used.is_none_or(|l| t - 1 > l)
            && totp::same_code(&totp::code_at_step(key, t), second)
            && totp::same_code(&totp::code_at_step(key, t - 1), first)
    })
}

/// The current six-digit code of a Base32 seed (as `Base32StringSeed` gives it) at a Unix
/// time, as an authenticator app shows it. For tests and tools.
///
/// # Panics
///
/// When `seed_base32` is not Base32.
pub fn totp_code(seed_base32: &str, now_seconds: i64) -> String {
    let key = totp::base32_decode(seed_base32).expect("the seed is Base32");
    totp::code_at_step(&key, totp::step_of(now_seconds))
}

/// Verifies the one-time code of a request made with MFA (STS GetSessionToken, AssumeRole
/// with `SerialNumber` and `TokenCode`) and returns the time step it was accepted for.
///
/// The device must exist and be enabled for the user `user_id`; the code must be that of the
/// step the device's drift predicts for `now_seconds`, or of one step either side
/// ([`SKEW_STEPS`]); and no code of that step or of a later one may have been accepted
/// before. The accepted step is committed through [`App::write`] before this returns, so a
/// replayed code fails even after a restart, and two requests racing with the same code
/// cannot both pass.
///
/// Errors, as AWS answers GetSessionToken and AssumeRole (both 403 AccessDenied):
/// - no such device, or not enabled for this user: `MultiFactorAuthentication failed, unable
///   to validate MFA code.  Please verify your MFA serial number is valid and associated
///   with this user.` (two spaces before "Please": aws/aws-cli#6325, broamski/aws-mfa#46);
/// - a wrong, malformed, expired or reused code: `MultiFactorAuthentication failed with
///   invalid MFA one time pass code.` (aws CLI transcripts of GetSessionToken).
pub(crate) async fn check_code(
    app: &App,
    user_id: &str,
    serial_number: &str,
    code: &str,
    now_seconds: i64,
) -> Result<i64, Error> {
    let account = app.account_id().to_string();
    app.write(|e| {
        let device = e
            .mfa_device(serial_number)
            .filter(|d| d.user_id.as_deref() == Some(user_id))
            .ok_or_else(unable_to_validate)?;
        let key = seed(app, device)?;
        let step = accept(device, &key, code, now_seconds)?;
        let mut device = device.clone();
        device.last_used_step = Some(step);
        Ok((vec![Change::put(&account, &device)], step))
    })
    .await
}

/// The step `code` is accepted for on `device` (whose seed is `key`) at `now_seconds`: the
/// step its drift predicts or one either side, later than the last one accepted.
fn accept(device: &MfaDevice, key: &[u8], code: &str, now_seconds: i64) -> Result<i64, Error> {
    if !totp::well_formed(code) {
        return Err(invalid_pass_code());
    }
    let center = totp::step_of(now_seconds) + device.drift_steps;
    (center - SKEW_STEPS..=center + SKEW_STEPS)
        .find(|&s| {
            device.last_used_step.is_none_or(|l| s > l)
                && totp::same_code(&totp::code_at_step(key, s), code)
        })
        .ok_or_else(invalid_pass_code)
}

/// AccessDenied for a serial number that names no device of the user.
pub(crate) fn unable_to_validate() -> Error {
    Error::denied(
        "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.",
    )
}

/// AccessDenied for a wrong or reused code.
pub(crate) fn invalid_pass_code() -> Error {
    Error::denied("MultiFactorAuthentication failed with invalid MFA one time pass code.")
}

/// CreateVirtualMFADevice: a new seed, returned once in Base32 and as a QR code.
pub(crate) async fn create_virtual_mfa_device(
    ctx: &Ctx<'_>,
    input: CreateVirtualMFADeviceInput,
) -> Result<CreateVirtualMFADeviceOutput, Error> {
    let name = input.virtual_mfa_device_name.as_str();
    let path = input.path.as_deref().unwrap_or("/");
    let tags = views::stored_tags(input.tags);
    check_tags(&tags, true)?;
    let account = ctx.account();
    let serial_number = rules::arn(account, "mfa", path, name);
    if serial_number.len() > MAX_SERIAL_NUMBER {
        let longest = MAX_SERIAL_NUMBER - (serial_number.len() - name.len());
        return Err(Error::validation(format!(
            "1 validation error detected: Value at 'virtualMFADeviceName' failed to satisfy constraint: Member must have length less than or equal to {longest}"
        )));
    }
    let seed = totp::base32_encode(&random_bytes::<SEED_BYTES>());
    let uri = format!("otpauth://totp/{ISSUER}:{name}@{account}?secret={seed}&issuer={ISSUER}");
    let png = qr_png::qr_png(&uri).ok_or_else(|| {
        Error::invalid_input("The device name is too long to be encoded in a QR code.")
    })?;
    let device = MfaDevice {
        serial_number: serial_number.clone(),
        name: name.to_string(),
        path: path.to_string(),
        seed_ciphertext: ctx.app.server_key.encrypt(&seed),
        user_id: None,
        enable_date: None,
        create_date: now_millis(),
        tags,
        last_used_step: None,
        drift_steps: 0,
    };
    ctx.app
        .write(|e| {
            if e.mfa_devices
                .keys()
                .any(|k| k.eq_ignore_ascii_case(&serial_number))
            {
                return Err(Error::already_exists("MFA device already exists."));
            }
            // Virtual MFA devices per account: equal to the user quota.
            if e.mfa_devices.len() >= quota::USERS {
                return Err(over_quota("MFADevices", quota::USERS));
            }
            let out = CreateVirtualMFADeviceOutput {
                virtual_mfa_device: VirtualMFADevice {
                    serial_number: device.serial_number.clone(),
                    base32_string_seed: Some(STANDARD.encode(&seed)),
                    qr_code_png: Some(STANDARD.encode(&png)),
                    tags: (!device.tags.is_empty()).then(|| views::tags(&device.tags)),
                    enable_date: None,
                    user: None,
                },
            };
            Ok((vec![Change::put(account, &device)], out))
        })
        .await
}

/// EnableMFADevice: assigns an unassigned device to a user, once two consecutive codes
/// prove the user's app holds its seed.
pub(crate) async fn enable_mfa_device(
    ctx: &Ctx<'_>,
    input: EnableMFADeviceInput,
) -> Result<(), Error> {
    let user_name = input.user_name.as_str();
    let serial_number = input.serial_number.as_str();
    let (first, second) = (
        input.authentication_code1.as_str(),
        input.authentication_code2.as_str(),
    );
    let account = ctx.account();
    let now_step = totp::step_of(now_seconds());
    ctx.app
        .write(|e| {
            let user = users::find(e, user_name)?;
            let device = find(e, serial_number)?;
            if device.user_id.is_some() {
                return Err(Error::already_exists("MFA Device is already in use."));
            }
            if e.mfa_devices_of(&user.id).len() >= MFA_DEVICES_PER_USER {
                return Err(over_quota("MFADevicesPerUser", MFA_DEVICES_PER_USER));
            }
            let key = seed(ctx.app, device)?;
            let step = consecutive_codes(&key, first, second, now_step, device.last_used_step)
                .ok_or_else(invalid_codes)?;
            let mut device = device.clone();
            device.user_id = Some(user.id.clone());
            device.enable_date = Some(now_millis());
            device.last_used_step = Some(step);
            device.drift_steps = step - now_step;
            Ok((vec![Change::put(account, &device)], ()))
        })
        .await
}

/// ResyncMFADevice: measures the device's clock again from two consecutive codes.
pub(crate) async fn resync_mfa_device(
    ctx: &Ctx<'_>,
    input: ResyncMFADeviceInput,
) -> Result<(), Error> {
    let user_name = input.user_name.as_str();
    let serial_number = input.serial_number.as_str();
    let (first, second) = (
        input.authentication_code1.as_str(),
        input.authentication_code2.as_str(),
    );
    let account = ctx.account();
    let now_step = totp::step_of(now_seconds());
    ctx.app
        .write(|e| {
            let user = users::find(e, user_name)?;
            let device = find_enabled(e, serial_number, &user.id)?;
            let key = seed(ctx.app, device)?;
            let step = consecutive_codes(&key, first, second, now_step, device.last_used_step)
                .ok_or_else(invalid_codes)?;
            let mut device = device.clone();
            device.last_used_step = Some(step);
            device.drift_steps = step - now_step;
            Ok((vec![Change::put(account, &device)], ()))
        })
        .await
}

/// DeactivateMFADevice: the device goes back to unassigned (and can be enabled again).
pub(crate) async fn deactivate_mfa_device(
    ctx: &Ctx<'_>,
    input: DeactivateMFADeviceInput,
) -> Result<(), Error> {
    let user_name = users::target_user(ctx, input.user_name.as_deref())?;
    let serial_number = input.serial_number.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let user = users::find(e, user_name)?;
            let mut device = find_enabled(e, serial_number, &user.id)?.clone();
            device.user_id = None;
            device.enable_date = None;
            device.drift_steps = 0;
            Ok((vec![Change::put(account, &device)], ()))
        })
        .await
}

/// DeleteVirtualMFADevice: only once it is deactivated.
pub(crate) async fn delete_virtual_mfa_device(
    ctx: &Ctx<'_>,
    input: DeleteVirtualMFADeviceInput,
) -> Result<(), Error> {
    let serial_number = input.serial_number.as_str();
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let device = find(e, serial_number)?;
            if device.user_id.is_some() {
                return Err(Error::delete_conflict(
                    "Cannot delete entity, must deactivate MFA device first.",
                ));
            }
            Ok((vec![Change::delete(account, device)], ()))
        })
        .await
}

/// An `MFADevice` of ListMFADevices.
fn enabled_view(device: &MfaDevice, user_name: &str) -> MFADevice {
    MFADevice {
        user_name: user_name.to_string(),
        serial_number: device.serial_number.clone(),
        enable_date: enable_date(device),
    }
}

/// The enable date of an enabled device.
fn enable_date(device: &MfaDevice) -> Timestamp {
    Timestamp::from_millis(device.enable_date.unwrap_or_default())
}

/// ListMFADevices: the devices enabled for a user (the caller when no `UserName`; the
/// account root has none here).
pub(crate) fn list_mfa_devices(
    ctx: &Ctx<'_>,
    input: ListMFADevicesInput,
) -> Result<ListMFADevicesOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    let name = input
        .user_name
        .as_deref()
        .or(ctx.caller.user_name.as_deref());
    ctx.app.read(|e| {
        let Some(name) = name else {
            return Ok(ListMFADevicesOutput {
                is_truncated: Some(false),
                mfa_devices: vec![],
                marker: None,
            });
        };
        let user = users::find(e, name)?;
        let (items, next) = page.take(
            e.mfa_devices
                .iter()
                .filter(|(_, d)| d.user_id.as_deref() == Some(user.id.as_str()))
                .map(|(k, d)| (k.as_str(), enabled_view(d, &user.name))),
        );
        Ok(ListMFADevicesOutput {
            is_truncated: Some(next.is_some()),
            mfa_devices: items,
            marker: next,
        })
    })
}

/// ListVirtualMFADevices: by assignment status (`Any` by default); assigned devices show
/// their user. Like the other List operations it shows no tags.
pub(crate) fn list_virtual_mfa_devices(
    ctx: &Ctx<'_>,
    input: ListVirtualMFADevicesInput,
) -> Result<ListVirtualMFADevicesOutput, Error> {
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    let status = input.assignment_status.as_deref().unwrap_or("Any");
    ctx.app.read(|e| {
        let (items, next) = page.take(
            e.mfa_devices
                .iter()
                .filter(|(_, d)| match status {
                    "Assigned" => d.user_id.is_some(),
                    "Unassigned" => d.user_id.is_none(),
                    _ => true,
                })
                .map(|(k, d)| {
                    let user = d.user_id.as_deref().and_then(|id| e.user_by_id(id));
                    let device = VirtualMFADevice {
                        serial_number: d.serial_number.clone(),
                        user: user.map(|u| views::user(u, views::Detail::Listed)),
                        enable_date: user.and(d.enable_date).map(Timestamp::from_millis),
                        base32_string_seed: None,
                        qr_code_png: None,
                        tags: None,
                    };
                    (k.as_str(), device)
                }),
        );
        Ok(ListVirtualMFADevicesOutput {
            is_truncated: Some(next.is_some()),
            marker: next,
            virtual_mfa_devices: items,
        })
    })
}

/// GetMFADevice: an enabled device and its user. With `UserName`, the device must be that
/// user's; without, the calling user's (the root sees any user's).
pub(crate) fn get_mfa_device(
    ctx: &Ctx<'_>,
    input: GetMFADeviceInput,
) -> Result<GetMFADeviceOutput, Error> {
    let serial_number = input.serial_number.as_str();
    let name = input
        .user_name
        .as_deref()
        .or(ctx.caller.user_name.as_deref());
    ctx.app.read(|e| {
        let device = match name {
            Some(n) => find_enabled(e, serial_number, &users::find(e, n)?.id)?,
            None => find(e, serial_number)?,
        };
        let user = device
            .user_id
            .as_deref()
            .and_then(|id| e.user_by_id(id))
            .ok_or_else(|| not_found(serial_number))?;
        Ok(GetMFADeviceOutput {
            user_name: Some(user.name.clone()),
            serial_number: device.serial_number.clone(),
            enable_date: Some(enable_date(device)),
            certifications: None,
        })
    })
}

/// A change that gives the device `serial_number` these tags.
fn store_tags(
    e: &Entities,
    account: &str,
    serial_number: &str,
    tags: Vec<Tag>,
) -> Result<Change, Error> {
    let mut device = find(e, serial_number)?.clone();
    device.tags = tags;
    Ok(Change::put(account, &device))
}

/// TagMFADevice: adds tags, replacing the values of keys already present.
pub(crate) async fn tag_mfa_device(ctx: &Ctx<'_>, input: TagMFADeviceInput) -> Result<(), Error> {
    let serial_number = input.serial_number.as_str();
    let new = views::stored_tags(Some(input.tags));
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let merged = merge_tags(
                &find(e, serial_number)?.tags,
                &new,
                "TagsPerMFADevice",
                true,
            )?;
            Ok((vec![store_tags(e, account, serial_number, merged)?], ()))
        })
        .await
}

/// UntagMFADevice: removes tags by key (keys compare without regard to case).
pub(crate) async fn untag_mfa_device(
    ctx: &Ctx<'_>,
    input: UntagMFADeviceInput,
) -> Result<(), Error> {
    let serial_number = input.serial_number.as_str();
    let keys = &input.tag_keys;
    let account = ctx.account();
    ctx.app
        .write(|e| {
            let mut tags = find(e, serial_number)?.tags.clone();
            tags.retain(|t| !keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)));
            Ok((vec![store_tags(e, account, serial_number, tags)?], ()))
        })
        .await
}

/// ListMFADeviceTags.
pub(crate) fn list_mfa_device_tags(
    ctx: &Ctx<'_>,
    input: ListMFADeviceTagsInput,
) -> Result<ListMFADeviceTagsOutput, Error> {
    let serial_number = input.serial_number.as_str();
    let page = Page::new(input.marker.as_deref(), input.max_items)?;
    ctx.app.read(|e| {
        let tags = &find(e, serial_number)?.tags;
        let keys: Vec<String> = (0..tags.len()).map(|i| format!("{i:08}")).collect();
        let (items, next) = page.take(keys.iter().map(String::as_str).zip(tags.iter()));
        let items: Vec<Tag> = items.into_iter().cloned().collect();
        Ok(ListMFADeviceTagsOutput {
            is_truncated: Some(next.is_some()),
            marker: next,
            tags: views::tags(&items),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn totp_code_follows_rfc6238() {
        assert_eq!(totp_code(SEED, 59), "287082");
        assert_eq!(totp_code(SEED, 1_111_111_109), "081804");
        assert_eq!(totp_code(&SEED.to_lowercase(), 2_000_000_000), "279037");
    }

    #[test]
    fn consecutive_codes_are_found_near_now_and_not_replayed() {
        let key = totp::base32_decode(SEED).unwrap();
        let now = 1_000_000;
        let code = |s| totp::code_at_step(&key, s);
        // What a person types: the code shown, then the next one.
        assert_eq!(
            consecutive_codes(&key, &code(now - 1), &code(now), now, None),
            Some(now)
        );
        assert_eq!(
            consecutive_codes(&key, &code(now), &code(now + 1), now, None),
            Some(now + 1)
        );
        // A device clock ten minutes off is still found; further is not.
        let far = now + SYNC_WINDOW_STEPS;
        assert_eq!(
            consecutive_codes(&key, &code(far - 1), &code(far), now, None),
            Some(far)
        );
        let too_far = now + SYNC_WINDOW_STEPS + 1;
        assert_eq!(
            consecutive_codes(&key, &code(too_far - 1), &code(too_far), now, None),
            None
        );
        // Not consecutive, reversed, or the same code twice.
        assert_eq!(
            consecutive_codes(&key, &code(now - 2), &code(now), now, None),
            None
        );
        assert_eq!(
            consecutive_codes(&key, &code(now), &code(now - 1), now, None),
            None
        );
        assert_eq!(
            consecutive_codes(&key, "12345", &code(now), now, None),
            None
        );
        // Codes of steps already used are refused.
        assert_eq!(
            consecutive_codes(&key, &code(now - 1), &code(now), now, Some(now - 1)),
            None
        );
        assert_eq!(
            consecutive_codes(&key, &code(now - 1), &code(now), now, Some(now - 2)),
            Some(now)
        );
    }

    fn device(drift: i64) -> MfaDevice {
        MfaDevice {
            serial_number: "arn:aws:iam::123456789012:mfa/phone".into(),
            name: "phone".into(),
            path: "/".into(),
            seed_ciphertext: String::new(),
            user_id: Some("AIDAALICE".into()),
            enable_date: Some(1),
            create_date: 1,
            tags: vec![],
            last_used_step: None,
            drift_steps: drift,
        }
    }

    /// Runs [`accept`] as [`check_code`] does, keeping the accepted step.
    fn check(device: &mut MfaDevice, code: &str, now: i64) -> Result<i64, (String, String)> {
        let key = totp::base32_decode(SEED).unwrap();
        match accept(device, &key, code, now) {
            Ok(step) => {
                device.last_used_step = Some(step);
                Ok(step)
            }
            Err(Error::Aws(a) | Error::Denied { error: a, .. }) => {
                Err((a.code().to_string(), a.message().to_string()))
            }
            Err(other) => panic!("not an AWS error: {other}"),
        }
    }

    #[test]
    fn a_code_is_accepted_once() {
        let mut d = device(0);
        let now = 1_700_000_000;
        let code = totp_code(SEED, now);
        let step = check(&mut d, &code, now).unwrap();
        assert_eq!(step, totp::step_of(now));
        // The same code again, even within its step, is refused.
        assert_eq!(
            check(&mut d, &code, now + 1).unwrap_err(),
            (
                "AccessDenied".into(),
                "MultiFactorAuthentication failed with invalid MFA one time pass code.".into()
            )
        );
        // So is the previous step's code, though within the skew.
        assert!(check(&mut d, &totp_code(SEED, now - 30), now).is_err());
        // The next step's code is accepted, once.
        let next = totp_code(SEED, now + 30);
        assert_eq!(check(&mut d, &next, now + 30).unwrap(), step + 1);
        assert!(check(&mut d, &next, now + 31).is_err());
    }

    #[test]
    fn one_step_of_skew_is_allowed_around_the_drift() {
        let now = 1_700_000_010;
        // The device runs 30 s behind, or 30 s ahead: both within the skew.
        assert!(check(&mut device(0), &totp_code(SEED, now - 30), now).is_ok());
        assert!(check(&mut device(0), &totp_code(SEED, now + 30), now).is_ok());
        // Two steps off is too far, either way.
        assert!(check(&mut device(0), &totp_code(SEED, now + 60), now).is_err());
        assert!(check(&mut device(0), &totp_code(SEED, now - 60), now).is_err());
        // A device measured five minutes ahead (by EnableMFADevice or a resync) is
        // accepted where its clock is, and no longer where the server's is.
        assert!(check(&mut device(10), &totp_code(SEED, now + 300), now).is_ok());
        assert!(check(&mut device(10), &totp_code(SEED, now), now).is_err());
        // A wrong or malformed code fails.
        let wrong = format!(
            "{:06}",
            (totp_code(SEED, now).parse::<u32>().unwrap() + 1) % 1_000_000
        );
        assert!(check(&mut device(0), &wrong, now).is_err());
        assert_eq!(
            check(&mut device(0), "12a456", now).unwrap_err().0,
            "AccessDenied"
        );
        assert!(check(&mut device(0), "1234567", now).is_err());
    }

    #[test]
    fn access_denied_messages_are_aws_words() {
        let (Error::Aws(e) | Error::Denied { error: e, .. }) = unable_to_validate() else {
            panic!()
        };
        assert_eq!(e.code(), "AccessDenied");
        assert_eq!(e.status(), 403);
        assert!(
            e.message()
                .contains("unable to validate MFA code.  Please verify")
        );
        let Error::Aws(e) = invalid_codes() else {
            panic!()
        };
        assert_eq!(e.code(), "InvalidAuthenticationCode");
        assert_eq!(e.status(), 403);
    }
}
