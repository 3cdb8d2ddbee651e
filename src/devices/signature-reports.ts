/**
 * What other features may read of the devices' beacons: the signature versions each device of a user
 * last reported, for the signatures' per-mailbox deployment state.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { signatureVersionsOf } from './devices.queries.js';

export interface DeviceSignatureVersions {
  hostname: string;
  newSignatureVersion: string;
  replySignatureVersion: string;
  webSignatureVersion: string;
  lastSeenAt: string;
}

export async function deviceSignatureVersions(db: Kysely<Database>, upn: string): Promise<DeviceSignatureVersions[]> {
  const rows = await signatureVersionsOf(db, upn);
  return rows.map((r) => ({
    hostname: r.hostname,
    newSignatureVersion: r.new_signature_version,
    replySignatureVersion: r.reply_signature_version,
    webSignatureVersion: r.web_signature_version,
    lastSeenAt: r.last_seen_at,
  }));
}
