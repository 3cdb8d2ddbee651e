/**
 * The beacon the agent sends after each sync (POST /api/beacon, src/devices/beacon.ts): the device's
 * facts and the versions actually in place. An element that was not applied keeps the version of its
 * last full apply (or '' when it never had one), so the fleet view never shows a version a device lacks.
 */
import type { BeaconBody } from '../../src/devices/beacon.js';
import { PACKAGE_FIELDS, type PackageField } from '../../src/devices/packages.js';
import type { DeviceFacts } from './platform.js';
import type { AgentState } from './state.js';

export function appliedPackages(state: AgentState): Record<PackageField, string> {
  const packages = Object.fromEntries(PACKAGE_FIELDS.map((f) => [f, ''])) as Record<PackageField, string>;
  for (const record of Object.values(state.elements)) Object.assign(packages, record?.packages ?? {});
  return packages;
}

export function buildBeacon(input: { upn: string; hostname: string; facts: DeviceFacts; state: AgentState; now: Date }): BeaconBody {
  const { facts, now } = input;
  const body: BeaconBody = {
    upn: input.upn,
    hostname: input.hostname,
    operatingSystem: facts.operatingSystem,
    beaconLaunchTime: now.toISOString(),
    // The agent runs in the user's session: a sync is a use of the device.
    lastUseTime: now.toISOString(),
    ...appliedPackages(input.state),
  };
  if (facts.deviceModel !== null) body.deviceModel = facts.deviceModel;
  if (facts.systemBootTime !== null) body.systemBootTime = facts.systemBootTime;
  if (facts.lastLogonTime !== null) body.lastLogonTime = facts.lastLogonTime;
  if (facts.pendingReboot !== null) body.pendingReboot = facts.pendingReboot;
  if (facts.compliant !== null) body.compliant = facts.compliant;
  return body;
}

/** Appends `beacon`, dropping the oldest beyond `limit`; returns the queue and how many were dropped. */
export function enqueue(queue: BeaconBody[], beacon: BeaconBody, limit: number): { queue: BeaconBody[]; dropped: number } {
  const next = [...queue, beacon];
  const dropped = Math.max(0, next.length - limit);
  return { queue: next.slice(dropped), dropped };
}
