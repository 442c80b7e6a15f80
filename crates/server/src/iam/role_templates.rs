//! Role templates (GetRoleTemplateVersion, AcquireRole). A role template is published by
//! AWS for a service (`arn:aws:iam::aws:role-template/SERVICE-PRINCIPAL/NAME:MAJOR`, as the
//! service authorization reference names the resource type) and read from every account;
//! AcquireRole creates a role from one of its versions. Portcullis carries no role
//! templates, so every well-formed template ARN names a template that does not exist:
//! NoSuchEntity. An ARN that is not a role template's is InvalidInput.

use crate::call::Ctx;
use crate::error::Error;
use portcullis_protocol::iam::{
    AcquireRoleInput, AcquireRoleOutput, GetRoleTemplateVersionInput, GetRoleTemplateVersionOutput,
};

/// The prefix of every role template ARN.
const PREFIX: &str = "arn:aws:iam::aws:role-template/";

/// Whether `arn` has the shape of a role template ARN: a service principal, a template
/// name (the model's `roleTemplateNameType`: 1 to 128 of `[\w+=,.-]`) and a major version.
fn is_template_arn(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix(PREFIX) else {
        return false;
    };
    let Some((service, versioned)) = rest.split_once('/') else {
        return false;
    };
    let Some((name, major)) = versioned.rsplit_once(':') else {
        return false;
    };
    let service_ok = service.contains('.')
        && service
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let name_ok = (1..=128).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "_+=,.-".contains(c));
    let major_ok = !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit());
    service_ok && name_ok && major_ok
}

/// The template an operation names: InvalidInput when the ARN is not a role template's,
/// else NoSuchEntity (no template exists here).
fn missing_template(arn: &str) -> Error {
    if is_template_arn(arn) {
        Error::no_such_entity(format!("The role template with ARN {arn} cannot be found."))
    } else {
        Error::invalid_input(format!("ARN {arn} is not valid."))
    }
}

/// GetRoleTemplateVersion.
pub(crate) fn get_role_template_version(
    _ctx: &Ctx<'_>,
    input: GetRoleTemplateVersionInput,
) -> Result<GetRoleTemplateVersionOutput, Error> {
    Err(missing_template(&input.template_arn))
}

/// AcquireRole: no role can be created from a template that does not exist.
pub(crate) fn acquire_role(
    _ctx: &Ctx<'_>,
    input: AcquireRoleInput,
) -> Result<AcquireRoleOutput, Error> {
    Err(missing_template(&input.template_arn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_arns() {
        for ok in [
            "arn:aws:iam::aws:role-template/cloudwatch.amazonaws.com/CloudWatchOmniAWSIntegrationForOrgRoleTemplate:1",
            "arn:aws:iam::aws:role-template/telemetry-enablement.observabilityadmin.amazonaws.com/CloudWatchTelemetryRuleEKSAddonRoleTemplate:12",
        ] {
            assert!(is_template_arn(ok), "{ok}");
        }
        for bad in [
            "arn:aws:iam::aws:policy/ReadOnlyAccess",
            "arn:aws:iam::123456789012:role-template/lambda.amazonaws.com/T:1",
            "arn:aws:iam::aws:role-template/lambda.amazonaws.com/T",
            "arn:aws:iam::aws:role-template/lambda.amazonaws.com/T:v1",
            "arn:aws:iam::aws:role-template/lambda/T:1",
            "arn:aws:iam::aws:role-template/lambda.amazonaws.com/bad name:1",
            "arn:aws:iam::aws:role-template/lambda.amazonaws.com/:1",
        ] {
            assert!(!is_template_arn(bad), "{bad}");
        }
    }
}
