//! Drives `chat-core` (work in progress).
