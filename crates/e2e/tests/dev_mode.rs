//! `--dev`: signatures are not checked and nothing is authorized, but the credentials
//! Portcullis issued still say who is calling; only a key it does not know is the root.

mod common;

use common::*;

fn dev_server() -> Server {
    Server::start_with(Options {
        env: vec![("PORTCULLIS_DEV".to_string(), "true".to_string())],
        ..Options::default()
    })
}

#[tokio::test]
async fn issued_credentials_keep_their_principal_in_dev_mode() {
    let server = dev_server();
    let root_arn = format!("arn:aws:iam::{ACCOUNT_ID}:root");
    let iam = iam(&server);

    // The root's own key, and a key Portcullis never issued, are the root.
    let me = sts(&server).get_caller_identity().send().await.unwrap();
    assert_eq!(me.arn(), Some(root_arn.as_str()));
    let stranger = sts_with(
        &server,
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    let who = stranger.get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some(root_arn.as_str()));

    // A user's key is the user, whatever the signature (it is not checked).
    let user = iam
        .create_user()
        .user_name("dev-user")
        .send()
        .await
        .unwrap();
    let user_arn = user.user().unwrap().arn().to_string();
    let key = iam
        .create_access_key()
        .user_name("dev-user")
        .send()
        .await
        .unwrap();
    let key = key.access_key().unwrap();
    let as_user = sts_with(&server, key.access_key_id(), key.secret_access_key());
    let who = as_user.get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some(user_arn.as_str()));
    let wrong_secret = sts_with(&server, key.access_key_id(), "not-the-secret-at-all");
    let who = wrong_secret.get_caller_identity().send().await.unwrap();
    assert_eq!(who.arn(), Some(user_arn.as_str()));
    let own = iam_with(&server, key.access_key_id(), key.secret_access_key())
        .get_user()
        .send()
        .await
        .unwrap();
    assert_eq!(own.user().unwrap().user_name(), "dev-user");

    // Nothing is authorized: the user, with no policy, assumes a role that does not trust
    // it, and the session is the assumed role.
    iam.create_role()
        .role_name("dev-role")
        .assume_role_policy_document(TRUST_LAMBDA)
        .send()
        .await
        .unwrap();
    let assumed = as_user
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT_ID}:role/dev-role"))
        .role_session_name("dev-session")
        .send()
        .await
        .unwrap();
    let credentials = assumed.credentials().unwrap();
    let session = sts_session(&server, credentials);
    let who = session.get_caller_identity().send().await.unwrap();
    assert_eq!(
        who.arn(),
        Some(format!("arn:aws:sts::{ACCOUNT_ID}:assumed-role/dev-role/dev-session").as_str())
    );
    assert_eq!(
        who.user_id(),
        assumed.assumed_role_user().map(|u| u.assumed_role_id())
    );

    // A session key whose token does not open is unknown: the root.
    let forged = aws_sdk_sts::types::Credentials::builder()
        .access_key_id(credentials.access_key_id())
        .secret_access_key(credentials.secret_access_key())
        .session_token("not-a-token")
        .expiration(aws_sdk_sts::primitives::DateTime::from_secs(
            now_epoch() + 600,
        ))
        .build()
        .unwrap();
    let who = sts_session(&server, &forged)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(who.arn(), Some(root_arn.as_str()));
}
