/**
 * SOS replacement variables (`$CurrentUserGivenName$`, `$UMMail$`, `$CurrentMailboxManagerPhotoDeleteEmpty$`…,
 * case-insensitive) → onramp placeholders. What onramp cannot resolve from the directory (SOS's own
 * computed values, on-premises attributes, PowerShell custom variables) becomes a custom variable.
 */
import type { PersonNamespace } from '../template/syntax.js';

/** Longest first, so `UM` wins over `U` when both read as a known attribute. */
const NAMESPACES: readonly (readonly [string, PersonNamespace])[] = [
  ['currentmailboxmanager', 'mailboxManager'],
  ['currentusermanager', 'manager'],
  ['currentmailbox', 'mailbox'],
  ['currentuser', 'user'],
  ['mm', 'mailboxManager'],
  ['um', 'manager'],
  ['m', 'mailbox'],
  ['u', 'user'],
];

const CANONICAL_NAMESPACE: Readonly<Record<PersonNamespace, string>> = {
  user: 'CurrentUser',
  manager: 'CurrentUserManager',
  mailbox: 'CurrentMailbox',
  mailboxManager: 'CurrentMailboxManager',
};

/** SOS's default attribute names (lower-case) → the directory profile's. */
const ATTRIBUTES: Readonly<Record<string, string>> = {
  givenname: 'givenName',
  surname: 'surname',
  displayname: 'displayName',
  department: 'department',
  title: 'jobTitle',
  streetaddress: 'streetAddress',
  postalcode: 'postalCode',
  location: 'city',
  country: 'country',
  state: 'state',
  telephone: 'businessPhone',
  fax: 'faxNumber',
  mobile: 'mobilePhone',
  mail: 'mail',
  mailnickname: 'mailNickname',
  office: 'officeLocation',
  company: 'companyName',
  ...Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`extattr${i + 1}`, `extensionAttribute${i + 1}`])),
};

export type SosPlaceholder =
  | { kind: 'attribute'; sos: string; namespace: PersonNamespace; attribute: string }
  | { kind: 'photo'; sos: string; namespace: PersonNamespace; deleteEmpty: boolean }
  /** No directory equivalent: becomes the custom variable `var.<variable>`. */
  | { kind: 'custom'; sos: string; variable: string };

/** `$…$` with a name that starts with a letter (so "$5 and $10" is left alone). */
export const SOS_PLACEHOLDER = /\$([A-Za-z][A-Za-z0-9_]*)\$/g;

export function classifyPlaceholder(name: string): SosPlaceholder {
  const sos = `$${name}$`;
  const lower = name.toLowerCase();
  for (const [prefix, namespace] of NAMESPACES) {
    if (!lower.startsWith(prefix)) continue;
    const rest = lower.slice(prefix.length);
    const attribute = ATTRIBUTES[rest];
    if (attribute) return { kind: 'attribute', sos, namespace, attribute };
    if (rest === 'photo' || rest === 'photodeleteempty') return { kind: 'photo', sos, namespace, deleteEmpty: rest === 'photodeleteempty' };
  }
  return { kind: 'custom', sos, variable: customVariableName(name) };
}

/** `$CurrentUserSalutation$` and `$USalutation$` share one variable: `sos_CurrentUserSalutation`. */
function customVariableName(name: string): string {
  const lower = name.toLowerCase();
  for (const [prefix, namespace] of NAMESPACES) {
    const rest = name.slice(prefix.length);
    // A short prefix only counts before a capital letter, as SOS writes them ($UMSalutation$).
    if (lower.startsWith(prefix) && rest !== '' && (prefix.length > 2 || /^[A-Z]/.test(rest))) {
      return `sos_${CANONICAL_NAMESPACE[namespace]}${rest[0]!.toUpperCase()}${rest.slice(1)}`.slice(0, 64);
    }
  }
  return `sos_${name}`.slice(0, 64);
}

/** The onramp expression a non-photo placeholder becomes. */
export function placeholderExpression(placeholder: Exclude<SosPlaceholder, { kind: 'photo' }>): string {
  return placeholder.kind === 'attribute' ? `${placeholder.namespace}.${placeholder.attribute}` : `var.${placeholder.variable}`;
}
