//! HTTP/1.1 as far as the chat needs it: reading request heads and writing short, complete
//! answers. No request bodies are accepted.

pub(crate) mod request;
pub(crate) mod response;

pub use response::Status;
