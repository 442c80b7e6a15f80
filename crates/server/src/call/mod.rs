//! What the operations of every service share: the context a handler gets ([`Ctx`]: the
//! server state, the caller, the decoded input) and the accessors of a decoded input
//! ([`input`]).

pub(crate) mod input;

pub(crate) use input::Input;

use crate::app::App;
use crate::caller::Caller;

/// What an operation handler (IAM or STS) gets.
pub(crate) struct Ctx<'a> {
    /// The server state.
    pub app: &'a App,
    /// Who is calling.
    pub caller: &'a Caller,
    /// The decoded input.
    pub input: Input<'a>,
}

impl Ctx<'_> {
    /// The account ID.
    pub(crate) fn account(&self) -> &str {
        self.app.account_id()
    }
}
