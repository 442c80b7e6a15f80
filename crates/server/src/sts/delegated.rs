//! GetDelegatedAccessToken: exchanges the trade-in token of an accepted delegation request
//! (IAM's temporary delegation to an AWS partner) for temporary credentials of the
//! principal the request names.
//!
//! A trade-in token exists only once a customer has accepted a delegation request that an
//! onboarded partner created and IAM has sent the token (SendDelegationToken). A Portcullis
//! account is standalone and no partner can send it delegation requests (see
//! `iam::organizations`: CreateDelegationRequest is refused, and every operation on a
//! delegation request answers NoSuchEntity), so no trade-in token can be valid here.
//!
//! Every token is therefore answered with the one token error STS models for this
//! operation, `ExpiredTradeInTokenException` ("The trade-in token provided in the request
//! has expired and can no longer be exchanged for credentials", STS API reference); AWS
//! documents no separate error for an unknown token. The message text is Portcullis's.

use crate::call::Ctx;
use crate::error::Error;
use portcullis_protocol::sts::{
    GetDelegatedAccessTokenInput, GetDelegatedAccessTokenOutput, StsErrorCode,
};

/// GetDelegatedAccessToken.
pub(crate) async fn get_delegated_access_token(
    _ctx: &Ctx<'_>,
    _input: GetDelegatedAccessTokenInput,
) -> Result<GetDelegatedAccessTokenOutput, Error> {
    // The token is required (and checked present by the protocol layer); none is valid.
    Err(Error::aws(
        StsErrorCode::ExpiredTradeInTokenException,
        "The trade-in token provided in the request has expired or is not valid and can no longer be exchanged for credentials. No accepted delegation request issued it.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::App;
    use crate::caller::Caller;
    use crate::config::Config;
    use serde_json::json;

    #[tokio::test]
    async fn no_trade_in_token_is_valid() {
        let (app, _) = App::open(Config::in_memory(false)).await.unwrap();
        let caller = Caller::test_root();
        for token in ["", "AQoDYXdzEJr...", "eyJhbGciOiJIUzI1NiJ9.e30.x"] {
            let input = json!({ "TradeInToken": token });
            let e = crate::sts::call(
                "GetDelegatedAccessToken",
                &Ctx {
                    app: &app,
                    caller: &caller,
                },
                &input,
            )
            .await
            .expect("an STS operation")
            .unwrap_err()
            .into_aws();
            assert_eq!(e.code(), "ExpiredTradeInTokenException");
            assert!(e.message().starts_with("The trade-in token provided"));
        }
        let input = json!({});
        let e = crate::sts::call(
            "GetDelegatedAccessToken",
            &Ctx {
                app: &app,
                caller: &caller,
            },
            &input,
        )
        .await
        .expect("an STS operation")
        .unwrap_err()
        .into_aws();
        assert_ne!(
            e.code(),
            "ExpiredTradeInTokenException",
            "a missing token is invalid input"
        );
    }
}
