//! The worker's phone core: a pure crux app, the encrypted vault, and the FFI.

pub mod evidence;
pub mod vault;
