//! `workvoice-sms`: the SMS channel of Workvoice, run by an organisation next to its desk.
//!
//! It receives SMS from a gateway the organisation controls (the "SMS Gateway for Android"
//! app on a phone with a local SIM, or Jasmin in front of an SMPP account), leads the sender
//! through a short numbered dialogue in her language, and on her confirmation seals the report
//! at this first hop exactly as the phone app does (the phone core routes it under the
//! verified signed directory, seals it, pays the proof-of-work and submits it to the relay).
//! Then the answers are erased. See `THREATS.md` ("The SMS channel") for what it cannot hide.

pub mod dialogue;
pub mod gateway;
pub mod segments;
pub mod service;
pub mod startup;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
