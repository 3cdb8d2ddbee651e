/** Branding test material: real images (sharp), a minimal MP4, multipart bodies, directory users. */
import sharp from 'sharp';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import type { DirectoryProfile } from '../../src/graph/graph-port.js';

export function png(width: number, height: number, colour = { r: 20, g: 90, b: 160 }): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: colour } })
    .png()
    .toBuffer();
}

export function jpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 30 } } })
    .jpeg()
    .toBuffer();
}

const box = (type: string, body: Buffer) => {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + body.length, 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, body]);
};

/** ftyp + moov + mdat: the top-level structure the upload checks (not a playable movie). */
export function mp4(mediaBytes = 4096): Buffer {
  return Buffer.concat([
    box('ftyp', Buffer.from('isom\0\0\x02\0isomiso2mp41', 'latin1')),
    box('moov', box('mvhd', Buffer.alloc(100))),
    box('mdat', Buffer.alloc(mediaBytes, 7)),
  ]);
}

export function multipartBody(files: Array<{ name: string; contentType: string; bytes: Buffer }>): { body: Buffer; headers: Record<string, string> } {
  const boundary = `----onramp${Math.random().toString(16).slice(2)}`;
  const parts = files.map((f) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${f.name}"\r\nContent-Type: ${f.contentType}\r\n\r\n`),
      f.bytes,
      Buffer.from('\r\n'),
    ]),
  );
  return { body: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

export function profile(upn: string, displayName: string, department = 'Sales'): DirectoryProfile {
  return {
    id: `id-${upn}`,
    accountEnabled: true,
    businessPhones: [],
    city: null,
    companyName: 'Contoso',
    country: null,
    department,
    displayName,
    employeeId: null,
    faxNumber: null,
    givenName: displayName.split(' ')[0]!,
    jobTitle: 'Seller',
    mail: upn,
    mailNickname: upn.split('@')[0]!,
    mobilePhone: null,
    officeLocation: null,
    postalCode: null,
    state: null,
    streetAddress: null,
    surname: null,
    interests: [],
    userPrincipalName: upn,
  };
}

export async function addDirectoryUsers(db: Kysely<Database>, profiles: DirectoryProfile[]): Promise<void> {
  const now = new Date().toISOString();
  await db
    .insertInto('directory_user')
    .values(profiles.map((p) => ({ id: p.id, upn_lower: p.userPrincipalName.toLowerCase(), account_enabled: 1, profile: JSON.stringify(p), synced_at: now })))
    .execute();
}
