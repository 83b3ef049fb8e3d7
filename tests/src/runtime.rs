//! The two runtimes under test: [`chat_runtime`]'s one face, as the CLI uses it.

pub use chat_runtime::Runtime;
