//! What the operations of every service share: the context a handler gets ([`Ctx`]: the
//! server state and the caller; the typed input comes beside it) and what handlers use to
//! read pages and size answers ([`input`]).

pub(crate) mod input;

use crate::app::App;
use crate::caller::Caller;

/// What an operation handler (IAM or STS) gets.
pub(crate) struct Ctx<'a> {
    /// The server state.
    pub app: &'a App,
    /// Who is calling.
    pub caller: &'a Caller,
}

impl Ctx<'_> {
    /// The account ID.
    pub(crate) fn account(&self) -> &str {
        self.app.account_id()
    }
}
