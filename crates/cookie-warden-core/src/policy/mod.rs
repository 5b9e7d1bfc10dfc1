//! The policy: the file's model, its validation, and the compiled form used to decide.

pub mod model;
