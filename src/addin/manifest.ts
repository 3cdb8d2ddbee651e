/**
 * The add-in-only XML manifest (OfficeApp 1.1, MailApp) generated from configuration: VersionOverrides
 * 1.0 wrapping 1.1 (event-based activation needs 1.1), the Mailbox 1.10 requirement, a LaunchEvent
 * extension point for new mail and new appointments (`OnNewMessageCompose` also fires for replies and
 * forwards; the runtime tells them apart with `item.getComposeTypeAsync`), the runtime's HTML page with
 * its JavaScript for classic Outlook on Windows, a compose button opening the taskpane, shared folders
 * (delegate and shared mailboxes), and WebApplicationInfo naming onramp's API app for Office SSO.
 */
import { escapeHtml } from '../lib/html.js';

export interface ManifestOptions {
  /** The add-in's own GUID (stable across versions: a new one is another add-in). */
  id: string;
  /** Four-part version, e.g. 1.0.0.0; raise it to have Outlook fetch the manifest again. */
  version: string;
  providerName: string;
  displayName: string;
  description: string;
  /** https origin the add-in's files and API are served from (server.publicUrl), without a trailing slash. */
  baseUrl: string;
  apiClientId: string;
  apiAppIdUri: string;
  scope: string;
}

/** Names the runtime registers with Office.actions.associate. */
export const LAUNCH_HANDLERS = { newMessage: 'onNewMessageComposeHandler', newAppointment: 'onNewAppointmentOrganizerHandler' } as const;

/** Paths under baseUrl of what the manifest points at. */
export const ADDIN_PATHS = {
  manifest: '/addin/manifest.xml',
  runtimeHtml: '/addin/runtime.html',
  runtimeJs: '/addin/runtime.js',
  taskpane: '/addin/taskpane.html',
  icon: (size: number) => `/addin/icon-${size}.png`,
} as const;

export const ICON_SIZES = [16, 32, 64, 80, 128] as const;

export function addinManifest(o: ManifestOptions): string {
  const a = (value: string) => escapeHtml(value);
  const url = (path: string) => a(`${o.baseUrl}${path}`);
  const icons = (prefix: string) => ([16, 32, 80] as const).map((size) => `<bt:Image size="${size}" resid="${prefix}${size}"/>`).join('\n                  ');
  // The "pick another signature" button, on the compose surfaces of messages and of appointments.
  const commandSurface = (surface: string, idSuffix: string) => `            <ExtensionPoint xsi:type="${surface}">
              <OfficeTab id="TabDefault">
                <Group id="onrampSignatureGroup${idSuffix}">
                  <Label resid="Group.Label"/>
                  <Control xsi:type="Button" id="onrampPickSignature${idSuffix}">
                    <Label resid="Pick.Label"/>
                    <Supertip>
                      <Title resid="Pick.Label"/>
                      <Description resid="Pick.Tooltip"/>
                    </Supertip>
                    <Icon>
                  ${icons('Icon.')}
                    </Icon>
                    <Action xsi:type="ShowTaskpane">
                      <SourceLocation resid="Taskpane.Url"/>
                    </Action>
                  </Control>
                </Group>
              </OfficeTab>
            </ExtensionPoint>`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:bt="http://schemas.microsoft.com/office/officeappbasictypes/1.0" xmlns:mailappor="http://schemas.microsoft.com/office/mailappversionoverrides/1.0" xsi:type="MailApp">
  <Id>${a(o.id)}</Id>
  <Version>${a(o.version)}</Version>
  <ProviderName>${a(o.providerName)}</ProviderName>
  <DefaultLocale>en-US</DefaultLocale>
  <DisplayName DefaultValue="${a(o.displayName)}"/>
  <Description DefaultValue="${a(o.description)}"/>
  <IconUrl DefaultValue="${url(ADDIN_PATHS.icon(64))}"/>
  <HighResolutionIconUrl DefaultValue="${url(ADDIN_PATHS.icon(128))}"/>
  <SupportUrl DefaultValue="${a(o.baseUrl)}/"/>
  <AppDomains>
    <AppDomain>${a(o.baseUrl)}</AppDomain>
  </AppDomains>
  <Hosts>
    <Host Name="Mailbox"/>
  </Hosts>
  <Requirements>
    <Sets>
      <Set Name="Mailbox" MinVersion="1.1"/>
    </Sets>
  </Requirements>
  <FormSettings>
    <Form xsi:type="ItemEdit">
      <DesktopSettings>
        <SourceLocation DefaultValue="${url(ADDIN_PATHS.taskpane)}"/>
      </DesktopSettings>
    </Form>
  </FormSettings>
  <Permissions>ReadWriteItem</Permissions>
  <Rule xsi:type="RuleCollection" Mode="Or">
    <Rule xsi:type="ItemIs" ItemType="Message" FormType="Edit"/>
    <Rule xsi:type="ItemIs" ItemType="Appointment" FormType="Edit"/>
  </Rule>
  <DisableEntityHighlighting>false</DisableEntityHighlighting>
  <VersionOverrides xmlns="http://schemas.microsoft.com/office/mailappversionoverrides" xsi:type="VersionOverridesV1_0">
    <VersionOverrides xmlns="http://schemas.microsoft.com/office/mailappversionoverrides/1.1" xsi:type="VersionOverridesV1_1">
      <Requirements>
        <bt:Sets DefaultMinVersion="1.10">
          <bt:Set Name="Mailbox"/>
        </bt:Sets>
      </Requirements>
      <Hosts>
        <Host xsi:type="MailHost">
          <Runtimes>
            <Runtime resid="Runtime.Url">
              <Override type="javascript" resid="RuntimeJs.Url"/>
            </Runtime>
          </Runtimes>
          <DesktopFormFactor>
            <SupportsSharedFolders>true</SupportsSharedFolders>
            <FunctionFile resid="Runtime.Url"/>
${commandSurface('MessageComposeCommandSurface', '')}
${commandSurface('AppointmentOrganizerCommandSurface', 'Appointment')}
            <ExtensionPoint xsi:type="LaunchEvent">
              <LaunchEvents>
                <LaunchEvent Type="OnNewMessageCompose" FunctionName="${LAUNCH_HANDLERS.newMessage}"/>
                <LaunchEvent Type="OnNewAppointmentOrganizer" FunctionName="${LAUNCH_HANDLERS.newAppointment}"/>
              </LaunchEvents>
              <SourceLocation resid="Runtime.Url"/>
            </ExtensionPoint>
          </DesktopFormFactor>
        </Host>
      </Hosts>
      <Resources>
        <bt:Images>
${([16, 32, 80] as const).map((size) => `          <bt:Image id="Icon.${size}" DefaultValue="${url(ADDIN_PATHS.icon(size))}"/>`).join('\n')}
        </bt:Images>
        <bt:Urls>
          <bt:Url id="Runtime.Url" DefaultValue="${url(ADDIN_PATHS.runtimeHtml)}"/>
          <bt:Url id="RuntimeJs.Url" DefaultValue="${url(ADDIN_PATHS.runtimeJs)}"/>
          <bt:Url id="Taskpane.Url" DefaultValue="${url(ADDIN_PATHS.taskpane)}"/>
        </bt:Urls>
        <bt:ShortStrings>
          <bt:String id="Group.Label" DefaultValue="${a(o.displayName.slice(0, 125))}"/>
          <bt:String id="Pick.Label" DefaultValue="Signature"/>
        </bt:ShortStrings>
        <bt:LongStrings>
          <bt:String id="Pick.Tooltip" DefaultValue="Choose another of your signatures for this message."/>
        </bt:LongStrings>
      </Resources>
      <WebApplicationInfo>
        <Id>${a(o.apiClientId)}</Id>
        <Resource>${a(o.apiAppIdUri)}</Resource>
        <Scopes>
          <Scope>${a(o.scope)}</Scope>
          <Scope>openid</Scope>
          <Scope>profile</Scope>
        </Scopes>
      </WebApplicationInfo>
    </VersionOverrides>
  </VersionOverrides>
</OfficeApp>
`;
}
