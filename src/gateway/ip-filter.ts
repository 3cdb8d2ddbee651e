import { BlockList, isIP } from 'node:net';
import { normaliseAddress } from '../lib/client-address.js';

/** Parses "10.0.0.0/8", "2001:db8::/32" or a bare address into a BlockList. Throws on nonsense (config time). */
export function cidrList(entries: readonly string[], what: string): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefixText] = entry.trim().split('/');
    const family = isIP(address);
    if (family === 0) throw new Error(`${what}: "${entry}" is not an IP address or CIDR`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefixText === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const prefix = Number(prefixText);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) throw new Error(`${what}: "${entry}" has a bad prefix length`);
    list.addSubnet(address, prefix, type);
  }
  return list;
}

/** Past this many distinct addresses remembered, the memo starts over (bounded memory under address churn). */
const MEMO_SIZE = 10_000;

/**
 * A socket address matched against a CIDR list. Every request asks this (sometimes twice), and
 * BlockList.check builds a SocketAddress per call; a device fleet comes from a few addresses, so the
 * answer is remembered per address, and an empty list answers without looking.
 */
export class AddressMatcher {
  readonly #list: BlockList | null;
  readonly #memo = new Map<string, boolean>();

  constructor(entries: readonly string[], what: string) {
    this.#list = entries.length > 0 ? cidrList(entries, what) : null;
  }

  matches(rawAddress: string): boolean {
    if (this.#list === null) return false;
    let hit = this.#memo.get(rawAddress);
    if (hit === undefined) {
      const { address, type } = normaliseAddress(rawAddress);
      hit = this.#list.check(address, type);
      if (this.#memo.size >= MEMO_SIZE) this.#memo.clear();
      this.#memo.set(rawAddress, hit);
    }
    return hit;
  }
}

export class IpFilter {
  readonly #allow: AddressMatcher | null;
  readonly #deny: AddressMatcher;

  constructor(allowCidrs: readonly string[], denyCidrs: readonly string[]) {
    this.#allow = allowCidrs.length > 0 ? new AddressMatcher(allowCidrs, 'deviceGateway.allowCidrs') : null;
    this.#deny = new AddressMatcher(denyCidrs, 'deviceGateway.denyCidrs');
  }

  allows(rawAddress: string): boolean {
    if (isIP(normaliseAddress(rawAddress).address) === 0) return false;
    if (this.#deny.matches(rawAddress)) return false;
    return this.#allow === null || this.#allow.matches(rawAddress);
  }
}
