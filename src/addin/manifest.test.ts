/**
 * The generated manifest: well-formed XML with the structure Outlook's event-based activation needs
 * (checked by element and attribute, and the element order of the schema's sequences, not against
 * Microsoft's XSD itself, which no installed package ships and no installed library validates), every
 * resid resolving to a resource, every URL under the configured https origin; served with its icons.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import sharp from 'sharp';
import { DOMParser } from '@xmldom/xmldom';
import { addinManifest, LAUNCH_HANDLERS, type ManifestOptions } from './manifest.js';
import { addinFileRoutes, derivedGuid } from './addin-files.routes.js';

const OPTIONS: ManifestOptions = {
  id: derivedGuid('onramp-addin:test'),
  version: '1.2.0.0',
  providerName: 'Contoso & "Partners"',
  displayName: 'Contoso <signatures>',
  description: 'Inserts your signature.',
  baseUrl: 'https://onramp.contoso.example',
  apiClientId: '6f1c2a9e-3b7d-4e55-9a10-0c2d8e4f7a31',
  apiAppIdUri: 'api://onramp.contoso.example/6f1c2a9e-3b7d-4e55-9a10-0c2d8e4f7a31',
  scope: 'Signatures.Read',
};
const V1_1 = 'http://schemas.microsoft.com/office/mailappversionoverrides/1.1';
const BT = 'http://schemas.microsoft.com/office/officeappbasictypes/1.0';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

function problemsOf(xml: string): string[] {
  const problems: string[] = [];
  new DOMParser({ errorHandler: (level: string, message: unknown) => problems.push(`${level}: ${String(message)}`) }).parseFromString(xml, 'application/xml');
  return problems;
}

function parse(xml: string) {
  assert.deepEqual(problemsOf(xml), [], 'well-formed');
  return new DOMParser().parseFromString(xml, 'application/xml');
}

const elements = (root: Element | Document, ns: string, name: string) => Array.from(root.getElementsByTagNameNS(ns, name)) as Element[];

describe('the add-in manifest', () => {
  const xml = addinManifest(OPTIONS);
  const doc = parse(xml);
  const root = doc.documentElement!;

  it('is checked by a parser that sees malformed XML', () => {
    assert.notDeepEqual(problemsOf('<a><b></a>'), []);
    assert.notDeepEqual(problemsOf('<a x="1" x="2"/>'), []);
  });

  it('is a MailApp whose VersionOverrides 1.0 wraps 1.1, with the configured identity escaped', () => {
    assert.equal(root.localName, 'OfficeApp');
    assert.equal(root.namespaceURI, 'http://schemas.microsoft.com/office/appforoffice/1.1');
    assert.equal(root.getAttributeNS(XSI, 'type'), 'MailApp');
    const text = (name: string) => elements(root, root.namespaceURI!, name)[0]?.textContent;
    assert.match(text('Id') ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(text('Version'), '1.2.0.0');
    assert.equal(text('ProviderName'), 'Contoso & "Partners"');
    assert.equal(elements(root, root.namespaceURI!, 'DisplayName')[0]!.getAttribute('DefaultValue'), 'Contoso <signatures>');
    const inner = elements(root, V1_1, 'VersionOverrides');
    assert.equal(inner.length, 1);
    assert.equal(inner[0]!.getAttributeNS(XSI, 'type'), 'VersionOverridesV1_1');
    const outer = inner[0]!.parentNode as Element;
    assert.equal(outer.namespaceURI, 'http://schemas.microsoft.com/office/mailappversionoverrides');
    assert.equal(outer.getAttributeNS(XSI, 'type'), 'VersionOverridesV1_0');
    assert.equal(elements(inner[0]!, BT, 'Sets')[0]!.getAttribute('DefaultMinVersion'), '1.10');
  });

  it('has its elements in the order and with the required ones the schema sequences ask for (MS-OWEMXML: MailApp, VersionOverridesV1_1)', () => {
    // An element out of order makes the manifest invalid and the add-in not load; the XSD itself is not
    // installed here, so its sequences are written out (minOccurs 1 marked required).
    const children = (parent: Element) => (Array.from(parent.childNodes) as Node[]).filter((n): n is Element => n.nodeType === 1).map((e) => e.localName);
    const inOrder = (parent: Element, sequence: string[], required: string[]) => {
      const seen = children(parent);
      let last = -1;
      for (const name of seen) {
        const at = sequence.indexOf(name);
        assert.ok(at > last, `${parent.localName}: ${name} is not allowed here (children: ${seen.join(', ')})`);
        last = at;
      }
      for (const name of required) assert.ok(seen.includes(name), `${parent.localName} lacks ${name}`);
    };
    inOrder(
      root,
      [
        'Id',
        'AlternateId',
        'Version',
        'ProviderName',
        'DefaultLocale',
        'DisplayName',
        'Description',
        'IconUrl',
        'HighResolutionIconUrl',
        'SupportUrl',
        'AppDomains',
        'Hosts',
        'Requirements',
        'FormSettings',
        'Permissions',
        'Rule',
        'DisableEntityHighlighting',
        'VersionOverrides',
      ],
      ['Id', 'Version', 'ProviderName', 'DefaultLocale', 'DisplayName', 'Description', 'Requirements', 'FormSettings', 'Rule'],
    );
    inOrder(
      elements(root, V1_1, 'VersionOverrides')[0]!,
      ['Description', 'Requirements', 'Hosts', 'Resources', 'WebApplicationInfo', 'EquivalentAddins'],
      ['Hosts'],
    );
    // The check sees an element out of place.
    const swapped = parse(xml.replace(/(<Version>[^<]*<\/Version>)(\s*)(<ProviderName>[^<]*<\/ProviderName>)/, '$3$2$1')).documentElement!;
    assert.throws(() => inOrder(swapped, ['Id', 'Version', 'ProviderName'], []), /Version is not allowed here/);
  });

  it('activates on new messages (replies and forwards included) and new appointments, in the runtime, for shared folders too', () => {
    const events = elements(root, V1_1, 'LaunchEvent').map((e) => [e.getAttribute('Type'), e.getAttribute('FunctionName')]);
    assert.deepEqual(events, [
      ['OnNewMessageCompose', LAUNCH_HANDLERS.newMessage],
      ['OnNewAppointmentOrganizer', LAUNCH_HANDLERS.newAppointment],
    ]);
    const point = elements(root, V1_1, 'LaunchEvents')[0]!.parentNode as Element;
    assert.equal(point.getAttributeNS(XSI, 'type'), 'LaunchEvent');
    const runtime = elements(root, V1_1, 'Runtime')[0]!;
    assert.equal(elements(point, V1_1, 'SourceLocation')[0]!.getAttribute('resid'), runtime.getAttribute('resid'));
    assert.equal(elements(runtime, V1_1, 'Override')[0]!.getAttribute('type'), 'javascript');
    assert.equal(elements(root, V1_1, 'SupportsSharedFolders')[0]!.textContent, 'true');
    const surfaces = elements(root, V1_1, 'ExtensionPoint').map((e) => e.getAttributeNS(XSI, 'type'));
    assert.deepEqual(surfaces, ['MessageComposeCommandSurface', 'AppointmentOrganizerCommandSurface', 'LaunchEvent']);
  });

  it('resolves every resid to a resource, and every URL is under the https origin', () => {
    const resources = new Set(
      [...elements(root, BT, 'Image'), ...elements(root, BT, 'Url'), ...elements(root, BT, 'String')].map((e) => e.getAttribute('id')).filter(Boolean),
    );
    const referenced = Array.from(doc.getElementsByTagName('*') as unknown as ArrayLike<Element>)
      .map((e) => e.getAttribute('resid'))
      .filter((r): r is string => Boolean(r));
    assert.ok(referenced.length > 10);
    for (const resid of referenced) {
      assert.ok(resources.has(resid), `resid ${resid} has no resource`);
      assert.ok(resid.length <= 32, `resid ${resid} is longer than 32 characters`);
    }
    const urls = [...xml.matchAll(/(?:DefaultValue="|<AppDomain>)(https?:[^"<]+)/g)].map((m) => m[1]!);
    assert.ok(urls.length >= 8);
    for (const url of urls) assert.ok(url.startsWith(OPTIONS.baseUrl), url);
    const app = elements(root, V1_1, 'WebApplicationInfo')[0]!;
    assert.equal(elements(app, V1_1, 'Id')[0]!.textContent, OPTIONS.apiClientId);
    assert.equal(elements(app, V1_1, 'Resource')[0]!.textContent, OPTIONS.apiAppIdUri);
  });

  it('is served at /addin/manifest.xml with the public URL, and its icons are PNGs of their size', async () => {
    const app = Fastify();
    const { baseUrl: _, ...manifest } = OPTIONS;
    await app.register(addinFileRoutes, {
      manifest,
      publicUrl: 'https://signatures.contoso.example/',
      color: '#0078d4',
      auth: {
        clientId: OPTIONS.apiClientId,
        authority: 'https://login.microsoftonline.com/contoso.example',
        scopes: [`${OPTIONS.apiAppIdUri}/${OPTIONS.scope}`],
      },
    });
    const res = await app.inject({ url: '/addin/manifest.xml' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/xml/);
    const served = parse(res.body);
    assert.equal(
      elements(served, 'http://schemas.microsoft.com/office/appforoffice/1.1', 'IconUrl')[0]!.getAttribute('DefaultValue'),
      'https://signatures.contoso.example/addin/icon-64.png',
    );
    for (const size of [16, 32, 64, 80, 128]) {
      const icon = await app.inject({ url: `/addin/icon-${size}.png` });
      assert.equal(icon.statusCode, 200);
      const meta = await sharp(icon.rawPayload).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ['png', size, size]);
    }
    assert.equal((await app.inject({ url: '/addin/icon-17.png' })).statusCode, 400);
    await app.close();
  });

  it('derives the same add-in id from the same seed, another from another', () => {
    assert.equal(derivedGuid('a'), derivedGuid('a'));
    assert.notEqual(derivedGuid('a'), derivedGuid('b'));
  });
});
