//! The caller's workspace, pure part: when calling is appropriate, and in which order
//! a caller's people come in their daily queue.

pub mod hours;
pub mod outcome;
pub mod queue;
pub mod refusal;
pub mod scripts;
