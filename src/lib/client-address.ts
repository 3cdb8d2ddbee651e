import { isIP } from 'node:net';

/** A socket's address in the form BlockList checks ("::ffff:10.1.2.3" is the IPv4 address). */
export function normaliseAddress(address: string): { address: string; type: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return { address: mapped[1]!, type: 'ipv4' };
  return { address, type: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

/**
 * The rate-limit key of a client address: an IPv4 address as it is, an IPv6 address by its /64, since
 * one subscriber or host usually holds a whole /64 and could otherwise take a new address per request.
 */
export function clientNetworkKey(address: string): string {
  const { address: plain, type } = normaliseAddress(address);
  if (type === 'ipv4') return plain;
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
