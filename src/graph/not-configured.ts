import { UpstreamError, type ExchangePort, type GraphPort } from './graph-port.js';

// Kept apart from the HTTP client so a start without Graph does not load @azure/identity.
export class GraphNotConfiguredError extends UpstreamError {
  constructor() {
    super('Microsoft Graph is not configured: set graph.tenantId, graph.clientId and a credential (see docs/GRAPH.md)', 503, 'GraphNotConfigured');
    this.name = 'GraphNotConfiguredError';
  }
}

/** Stands in when no tenant is configured: every call fails with a clear message. */
export const notConfiguredGraph: GraphPort & ExchangePort = {
  getUsersByUpn: () => Promise.reject(new GraphNotConfiguredError()),
  listGroupMemberIds: () => Promise.reject(new GraphNotConfiguredError()),
  listTransitiveUserIds: () => Promise.reject(new GraphNotConfiguredError()),
  findGroups: () => Promise.reject(new GraphNotConfiguredError()),
  listTransitiveUsers: () => Promise.reject(new GraphNotConfiguredError()),
  addGroupMembers: () => Promise.reject(new GraphNotConfiguredError()),
  getMfaRegistrations: () => Promise.reject(new GraphNotConfiguredError()),
  sendMail: () => Promise.reject(new GraphNotConfiguredError()),
  userDelta: () => Promise.reject(new GraphNotConfiguredError()),
  getUserPhoto: () => Promise.reject(new GraphNotConfiguredError()),
  setWebSignature: () => Promise.reject(new GraphNotConfiguredError()),
  getWebSignature: () => Promise.reject(new GraphNotConfiguredError()),
  roamingSignaturesEnabled: () => Promise.reject(new GraphNotConfiguredError()),
  getMailbox: () => Promise.reject(new GraphNotConfiguredError()),
  hasSendAs: () => Promise.reject(new GraphNotConfiguredError()),
  counters: () => ({ requests: 0, batchedItems: 0, throttled: 0, retries: 0 }),
  exchangeCounters: () => ({ cmdlets: {}, throttled: 0, retries: 0 }),
};
