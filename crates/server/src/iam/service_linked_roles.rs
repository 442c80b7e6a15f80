//! The service-linked roles AWS creates, per service principal: AWS's recorded answers for
//! 71 services (`data/service-linked-roles.json`, see `data/SOURCES.json`), and for other
//! services a role named after AWS's documented convention.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// What AWS creates for one service principal.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServiceLinkedRole {
    /// The role's name without a custom suffix.
    pub role_name: String,
    /// `/aws-service-role/SERVICE/`.
    pub path: String,
    /// The trust policy.
    pub assume_role_policy_document: serde_json::Value,
    /// The AWS managed policies attached.
    pub attached_policies: Vec<String>,
    /// The description AWS gives the role when the call gives none.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether CreateServiceLinkedRole accepts a `CustomSuffix`.
    pub custom_suffix_allowed: bool,
    /// AWS's InvalidInput message when it does not.
    #[serde(default)]
    pub custom_suffix_error: Option<String>,
}

#[derive(Deserialize)]
struct Table {
    services: BTreeMap<String, ServiceLinkedRole>,
}

static RECORDED: LazyLock<BTreeMap<String, ServiceLinkedRole>> = LazyLock::new(|| {
    serde_json::from_str::<Table>(include_str!("../../data/service-linked-roles.json"))
        .expect("data/service-linked-roles.json is valid")
        .services
});

/// The role AWS recorded for `service`, if it is one of the 71.
pub(crate) fn recorded(service: &str) -> Option<&'static ServiceLinkedRole> {
    RECORDED.get(service)
}

/// Services outside the recorded table whose role names and policies AWS documents (each
/// service's "Using service-linked roles" page in its guide).
const DOCUMENTED: &[(&str, &str, &str)] = &[
    (
        "sagemaker.amazonaws.com",
        "AWSServiceRoleForAmazonSageMaker",
        "arn:aws:iam::aws:policy/aws-service-role/AmazonSageMakerServiceRolePolicy",
    ),
    (
        "support.amazonaws.com",
        "AWSServiceRoleForSupport",
        "arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy",
    ),
    (
        "trustedadvisor.amazonaws.com",
        "AWSServiceRoleForTrustedAdvisor",
        "arn:aws:iam::aws:policy/aws-service-role/AWSTrustedAdvisorServiceRolePolicy",
    ),
    (
        "spot.amazonaws.com",
        "AWSServiceRoleForEC2Spot",
        "arn:aws:iam::aws:policy/aws-service-role/AWSEC2SpotServiceRolePolicy",
    ),
    (
        "glue.amazonaws.com",
        "AWSServiceRoleForGlue",
        "arn:aws:iam::aws:policy/aws-service-role/AWSGlueServiceRolePolicy",
    ),
    (
        "lambda.amazonaws.com",
        "AWSServiceRoleForLambda",
        "arn:aws:iam::aws:policy/aws-service-role/AWSLambdaServiceRolePolicy",
    ),
];

/// The role for `service`: AWS's recorded one, else a documented one, else one named as the
/// IAM User Guide ("Using service-linked roles") describes every service-linked role: the
/// prefix `AWSServiceRoleFor` followed by a name the service chooses, here the first label
/// of the principal with a capital letter (`AWSServiceRoleForExample` for
/// `example.amazonaws.com`), at `/aws-service-role/SERVICE/`, trusting the service
/// principal, with no policy (the service's own policy is not known here) and a custom
/// suffix allowed (the API reference: "Some services do not support the CustomSuffix
/// parameter", so accepting it is the general rule).
pub(crate) fn for_service(service: &str) -> ServiceLinkedRole {
    if let Some(r) = recorded(service) {
        return r.clone();
    }
    let (role_name, policy) = match DOCUMENTED.iter().find(|(s, _, _)| *s == service) {
        Some((_, name, policy)) => (name.to_string(), Some(policy.to_string())),
        None => {
            let label = service.split('.').next().unwrap_or(service);
            let mut chars = label.chars();
            let title: String = match chars.next() {
                Some(c) => c.to_uppercase().chain(chars).collect(),
                None => String::new(),
            };
            (format!("AWSServiceRoleFor{title}"), None)
        }
    };
    ServiceLinkedRole {
        role_name,
        path: format!("/aws-service-role/{service}/"),
        assume_role_policy_document: serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]
        }),
        attached_policies: policy.into_iter().collect(),
        description: None,
        custom_suffix_allowed: true,
        custom_suffix_error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_recorded_table() {
        assert_eq!(RECORDED.len(), 71);
        let refused = RECORDED
            .values()
            .filter(|r| !r.custom_suffix_allowed)
            .count();
        assert_eq!(refused, 68);
        let acm = recorded("acm.amazonaws.com").unwrap();
        assert_eq!(acm.role_name, "AWSServiceRoleForCertificateManager");
        assert_eq!(
            acm.custom_suffix_error.as_deref(),
            Some("Custom suffix is not allowed for acm.amazonaws.com")
        );
        for (service, r) in RECORDED.iter() {
            assert_eq!(r.path, format!("/aws-service-role/{service}/"));
            assert!(r.role_name.starts_with("AWSServiceRoleFor"), "{service}");
            assert_eq!(r.custom_suffix_allowed, r.custom_suffix_error.is_none());
        }
    }

    #[test]
    fn names_other_services_by_the_documented_convention() {
        let r = for_service("example.amazonaws.com");
        assert_eq!(r.role_name, "AWSServiceRoleForExample");
        assert_eq!(r.path, "/aws-service-role/example.amazonaws.com/");
        assert!(r.custom_suffix_allowed);
        assert_eq!(
            for_service("lambda.amazonaws.com").attached_policies,
            ["arn:aws:iam::aws:policy/aws-service-role/AWSLambdaServiceRolePolicy"]
        );
    }
}
