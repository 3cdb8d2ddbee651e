/**
 * The shapes the signature capability is built from, shared by its parts: the template engine
 * (template/), the store and rules (templates, rules, assets, variables), the planner that decides a
 * mailbox's expected signatures, and the deployments that carry them out (Exchange push, the device
 * route). Domain types only: no HTTP, no SQL.
 */

/**
 * One person's attributes as templates see them, keyed by the directory profile's names
 * (`displayName`, `givenName`, `jobTitle`, `mobilePhone`, `businessPhone` — the first of
 * `businessPhones` —, `mail`, `userPrincipalName`, `extensionAttribute1`…). Missing and empty are both
 * `null`/absent: conditional blocks drop them.
 */
export type PersonAttributes = Readonly<Record<string, string | null | undefined>>;

/** An image a signature shows: a template asset (logo, banner) or a person's photo. */
export interface SignatureImage {
  /** SHA-256 of the bytes, hex: the asset's name in the store and its version. */
  hash: string;
  contentType: 'image/png' | 'image/jpeg' | 'image/gif';
  bytes: Buffer;
  width?: number;
  height?: number;
}

/** Everything one rendering of one template for one mailbox reads. */
export interface SignatureSubject {
  user: PersonAttributes;
  manager: PersonAttributes | null;
  /** The mailbox the signature is for: the user's own, or a shared mailbox they send as. */
  mailbox: PersonAttributes;
  mailboxManager: PersonAttributes | null;
  /** Admin-set custom variables, already resolved for this user (user value over group value over default). */
  variables: Readonly<Record<string, string>>;
  photos: Readonly<{ user?: SignatureImage; manager?: SignatureImage; mailbox?: SignatureImage; mailboxManager?: SignatureImage }>;
}

/** A problem found in a template's source, where the editor can point at it (1-based). */
export interface TemplateProblem {
  line: number;
  column: number;
  message: string;
}

/** One file of the Outlook classic layout: `<name>.htm` refers to `<name>_files/<file>`. */
export interface SignatureFile {
  /** Relative path with forward slashes, e.g. `Contoso_files/image001.png`. */
  path: string;
  contentType: string;
  bytes: Buffer;
}

/** A template rendered for one subject in the four forms Outlook clients take. */
export interface RenderedSignature {
  /** Outlook on the web / new Outlook: images inline (data: URIs) or as https URLs. */
  webHtml: string;
  /** Outlook classic `<name>.htm`, UTF-8 with its meta charset, images in `<name>_files/`. */
  htm: string;
  /** Outlook classic `<name>.rtf` (plain ASCII with \uN? escapes for everything else). */
  rtf: string;
  /** Outlook classic `<name>.txt` and Exchange's SignatureText. */
  txt: string;
  files: SignatureFile[];
  /** SHA-256 over every output above: what deployments compare and dedupe on. */
  hash: string;
}

/** Which mail a signature is the default for. */
export type SignatureUse = 'new' | 'reply';

/** A rule's verdict for one subject: "why this signature?". */
export interface RuleVerdict {
  ruleId: number;
  ruleName: string;
  matched: boolean;
  /** Human sentences, e.g. "member of group Sales (via Sales EMEA)", "department is Finance, rule wants Sales". */
  reasons: string[];
}

/** One signature a mailbox is expected to have. */
export interface ExpectedSignature {
  templateId: number;
  templateVersion: number;
  /** The Outlook signature name (file name for Outlook classic). */
  name: string;
  /** The defaults it is: new mail, replies/forwards, both, or neither (offered in the add-in's picker only). */
  defaultFor: SignatureUse[];
  rendered: RenderedSignature;
}

/** What the server decided for one mailbox at one moment. */
export interface ExpectedMailboxSignatures {
  mailbox: string;
  userPrincipalName: string;
  signatures: ExpectedSignature[];
  verdicts: RuleVerdict[];
  /** SHA-256 over the signatures' names, defaults and hashes: the set's version. */
  setHash: string;
}

/** Decides and renders a mailbox's signatures; the store implements it, deployments consume it. */
export interface SignaturePlanner {
  /** `null` when the mailbox is not in the directory copy. */
  expectedFor(mailbox: string, at?: Date): Promise<ExpectedMailboxSignatures | null>;
  /** Every mailbox any rule can reach (paged by the caller through `after`, ordered by mailbox). */
  mailboxesInScope(after: string | null, limit: number): Promise<string[]>;
}

/** People's photos for templates (Graph `/users/{id}/photo/$value`, cached and resized). */
export interface PhotoSource {
  /** `undefined` when the person has no photo (or it cannot be read now: a signature never waits on it). */
  photoOf(userId: string): Promise<SignatureImage | undefined>;
}
