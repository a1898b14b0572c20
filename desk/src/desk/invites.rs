//! Escrow invites (`PROTOCOL.md` 18.12): the organisation draws invite codes, registers their
//! hashes at the relay with its API token, and hands one code to each worker it meets; a code
//! that leaks is revoked. The desk keeps no invite: the relay holds the hashes, the workers
//! the codes.

use workvoice_proto::api::EscrowInviteHashes;
use workvoice_proto::system_rng::SystemRng;
use workvoice_proto::token::Invite;

use crate::error::{DeskError, Result};

use super::Desk;

/// Most invites one `escrow-invites create` draws (the relay's limit per call).
pub const MAX_INVITES_PER_CALL: usize = 1000;

fn hashes(invites: &[Invite]) -> EscrowInviteHashes {
    EscrowInviteHashes {
        hashes: invites.iter().map(|i| hex::encode(i.hash())).collect(),
    }
}

/// Reads typed invite codes; the first that does not read is named in the error.
pub fn parse_invite_codes(codes: &[String]) -> Result<Vec<Invite>> {
    codes
        .iter()
        .map(|c| Invite::parse(c).map_err(|_| DeskError::InvalidInvite(c.clone())))
        .collect()
}

impl Desk {
    /// Draws `n` invites (1 to 1,000) and registers their hashes at the relay. The invites are
    /// returned only once the relay has registered every one of them.
    pub async fn create_escrow_invites(&self, n: usize) -> Result<Vec<Invite>> {
        if !(1..=MAX_INVITES_PER_CALL).contains(&n) {
            return Err(DeskError::InvalidInput(format!(
                "{n} invites: draw 1 to {MAX_INVITES_PER_CALL} at once"
            )));
        }
        let (row, _, _) = self.enrolled().await?;
        let client = self.client(&row)?;
        let mut rng = SystemRng::new();
        let invites: Vec<Invite> = (0..n).map(|_| Invite::random(&mut rng)).collect();
        let added = client.register_escrow_invites(&hashes(&invites)).await?;
        if added.count as usize != n {
            // 128 random bits each: a collision means the relay is not counting what it stored.
            return Err(DeskError::RelayProtocol(format!(
                "the relay registered {} of {n} new invites",
                added.count
            )));
        }
        Ok(invites)
    }

    /// Revokes `invites` at the relay; returns how many it held for this organisation.
    pub async fn revoke_escrow_invites(&self, invites: &[Invite]) -> Result<u32> {
        let (row, _, _) = self.enrolled().await?;
        let client = self.client(&row)?;
        let mut total = 0;
        for chunk in invites.chunks(MAX_INVITES_PER_CALL) {
            total += client.revoke_escrow_invites(&hashes(chunk)).await?.count;
        }
        Ok(total)
    }
}
