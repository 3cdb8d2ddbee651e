import type { AuthMethodKind } from './graph-port.js';

/**
 * Graph's two vocabularies for authentication methods: the `@odata.type` of
 * /users/{id}/authentication/methods and the `methodsRegistered` names of the registration report.
 */
export const METHOD_ODATA_TYPES: Record<AuthMethodKind, string> = {
  microsoftAuthenticator: '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod',
  phone: '#microsoft.graph.phoneAuthenticationMethod',
  softwareOath: '#microsoft.graph.softwareOathAuthenticationMethod',
  hardwareOath: '#microsoft.graph.hardwareOathAuthenticationMethod',
  fido2: '#microsoft.graph.fido2AuthenticationMethod',
  passkey: '#microsoft.graph.fido2AuthenticationMethod',
  windowsHello: '#microsoft.graph.windowsHelloForBusinessAuthenticationMethod',
  email: '#microsoft.graph.emailAuthenticationMethod',
  temporaryAccessPass: '#microsoft.graph.temporaryAccessPassAuthenticationMethod',
  password: '#microsoft.graph.passwordAuthenticationMethod',
  other: '#microsoft.graph.platformCredentialAuthenticationMethod',
};

/** The name the registration report uses for each kind (password is not reported). */
export const REPORT_METHOD_NAMES: Record<Exclude<AuthMethodKind, 'password'>, string> = {
  microsoftAuthenticator: 'microsoftAuthenticatorPush',
  phone: 'mobilePhone',
  softwareOath: 'softwareOneTimePasscode',
  hardwareOath: 'hardwareOneTimePasscode',
  fido2: 'fido2',
  passkey: 'passKeyDeviceBound',
  windowsHello: 'windowsHelloForBusiness',
  email: 'email',
  temporaryAccessPass: 'temporaryAccessPass',
  other: 'macOsSecureEnclaveKey',
};

const FROM_ODATA = new Map<string, AuthMethodKind>(
  (Object.entries(METHOD_ODATA_TYPES) as Array<[AuthMethodKind, string]>).filter(([k]) => k !== 'passkey').map(([k, v]) => [v, k]),
);

const FROM_REPORT = new Map<string, AuthMethodKind>([
  ...(Object.entries(REPORT_METHOD_NAMES) as Array<[AuthMethodKind, string]>).map(([k, v]) => [v, k] as [string, AuthMethodKind]),
  ['microsoftAuthenticatorPasswordless', 'microsoftAuthenticator'],
  ['alternateMobilePhone', 'phone'],
  ['officePhone', 'phone'],
  ['sms', 'phone'],
  ['voiceMobile', 'phone'],
  ['passKeyDeviceBoundAuthenticator', 'passkey'],
  ['passKeyDeviceBoundWindowsHello', 'windowsHello'],
  ['windowsHelloForBusiness', 'windowsHello'],
]);

export function methodFromOdataType(type: string | undefined): AuthMethodKind {
  return (type && FROM_ODATA.get(type)) || 'other';
}

export function methodFromReportName(name: string): AuthMethodKind {
  return FROM_REPORT.get(name) ?? 'other';
}
