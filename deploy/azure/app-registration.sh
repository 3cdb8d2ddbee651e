#!/usr/bin/env bash
# Least-privilege Entra ID set-up for onramp (docs/GRAPH.md lists every call and the permission it needs;
# docs/OPERATIONS.md, "Azure"). Needs the az CLI signed in as someone who may grant admin consent
# (Privileged Role Administrator or Global Administrator).
#
#   app-registration.sh --name onramp                       # an app registration with a client secret
#   app-registration.sh --managed-identity <principal id>   # the same app roles for a managed identity
#                                                           # (the principal id main.bicep outputs)
# Options:
#   --mfa-source report|methods  how MFA registration is read (graph.mfaSource; default report:
#                                AuditLog.Read.All; methods: UserAuthenticationMethod.Read.All)
#   --no-mail                    mail goes by SMTP, not Graph sendMail: no Mail.Send
#   --no-signatures              no Outlook web signatures: no Exchange.ManageAsApp
#   --portal-redirect <url>      also register the portal's sign-in app (OpenID Connect) with its
#                                Onramp.Admin / Onramp.Viewer app roles, e.g.
#                                https://onramp.contoso.com/api/auth/oidc/callback
#   --dry-run                    print the az commands instead of running them
set -euo pipefail

GRAPH_APP_ID=00000003-0000-0000-c000-000000000000
EXCHANGE_APP_ID=00000002-0000-0ff1-ce00-000000000000

name=onramp
managed_identity=''
mfa_source=report
mail=yes
signatures=yes
portal_redirect=''
dry_run=no

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --name) name="${2:?--name needs a value}"; shift 2 ;;
    --managed-identity) managed_identity="${2:?--managed-identity needs a principal id}"; shift 2 ;;
    --mfa-source) mfa_source="${2:?--mfa-source needs report or methods}"; shift 2 ;;
    --no-mail) mail=no; shift ;;
    --no-signatures) signatures=no; shift ;;
    --portal-redirect) portal_redirect="${2:?--portal-redirect needs a URL}"; shift 2 ;;
    --dry-run) dry_run=yes; shift ;;
    -h | --help) usage 0 ;;
    *) echo "unknown option: $1" >&2; usage 1 ;;
  esac
done

case "$mfa_source" in
  report) mfa_permission=AuditLog.Read.All ;;
  methods) mfa_permission=UserAuthenticationMethod.Read.All ;;
  *) echo "--mfa-source must be report or methods, got $mfa_source" >&2; exit 1 ;;
esac

# Microsoft Graph application permissions, each the least one for the calls in docs/GRAPH.md:
#   User.Read.All               users by UPN, users/delta (directory sync)
#   GroupMember.ReadWrite.All   list and add members of the MFA group (includes reading members)
#   AuditLog.Read.All | UserAuthenticationMethod.Read.All   MFA registration state
#   Mail.Send                   invitations from the shared mailbox (restrict it: printed at the end)
graph_roles=(User.Read.All GroupMember.ReadWrite.All "$mfa_permission")
[[ "$mail" == yes ]] && graph_roles+=(Mail.Send)

run() {
  if [[ "$dry_run" == yes ]]; then
    printf '+'; printf ' %q' "$@"; printf '\n'
  else
    "$@"
  fi
}

# The id of an application permission (app role) of a Microsoft service, looked up rather than hard-coded.
role_id() {
  local resource_app_id="$1" value="$2"
  if [[ "$dry_run" == yes ]]; then echo "<id of $value>"; return; fi
  local id
  id=$(az ad sp show --id "$resource_app_id" --query "appRoles[?value=='$value' && contains(allowedMemberTypes, 'Application')].id | [0]" -o tsv)
  [[ -n "$id" ]] || { echo "no application permission $value on $resource_app_id" >&2; exit 1; }
  echo "$id"
}

sp_object_id() {
  if [[ "$dry_run" == yes ]]; then echo "<object id of $1>"; return; fi
  az ad sp show --id "$1" --query id -o tsv
}

# App role assignment to a service principal (how both an app registration and a managed identity
# get application permissions; for an app registration it is what admin consent records).
assign() {
  local principal="$1" resource_app_id="$2" value="$3" resource
  resource=$(sp_object_id "$resource_app_id")
  local role
  role=$(role_id "$resource_app_id" "$value")
  echo "granting $value"
  run az rest --method POST \
    --url "https://graph.microsoft.com/v1.0/servicePrincipals/$principal/appRoleAssignments" \
    --headers 'Content-Type=application/json' \
    --body "{\"principalId\":\"$principal\",\"resourceId\":\"$resource\",\"appRoleId\":\"$role\"}" >/dev/null
}

grant_all() {
  local principal="$1"
  for value in "${graph_roles[@]}"; do assign "$principal" "$GRAPH_APP_ID" "$value"; done
  [[ "$signatures" == yes ]] && assign "$principal" "$EXCHANGE_APP_ID" Exchange.ManageAsApp
  return 0
}

if [[ -n "$managed_identity" ]]; then
  echo "managed identity $managed_identity: application permissions ${graph_roles[*]}$([[ "$signatures" == yes ]] && echo ' Exchange.ManageAsApp')"
  grant_all "$managed_identity"
  app_id="(the managed identity's client id: ONRAMP_GRAPH_CLIENT_ID, with ONRAMP_GRAPH_CREDENTIAL=managedIdentity)"
  principal="$managed_identity"
else
  echo "app registration $name"
  if [[ "$dry_run" == yes ]]; then
    app_id="<appId>"; principal="<service principal id>"
    run az ad app create --display-name "$name" --sign-in-audience AzureADMyOrg
    run az ad sp create --id "$app_id"
  else
    app_id=$(az ad app create --display-name "$name" --sign-in-audience AzureADMyOrg --query appId -o tsv)
    principal=$(az ad sp create --id "$app_id" --query id -o tsv)
  fi
  # Declared on the registration too, so the portal's "API permissions" page shows what was granted.
  for value in "${graph_roles[@]}"; do
    run az ad app permission add --id "$app_id" --api "$GRAPH_APP_ID" --api-permissions "$(role_id "$GRAPH_APP_ID" "$value")=Role"
  done
  if [[ "$signatures" == yes ]]; then
    run az ad app permission add --id "$app_id" --api "$EXCHANGE_APP_ID" --api-permissions "$(role_id "$EXCHANGE_APP_ID" Exchange.ManageAsApp)=Role"
  fi
  grant_all "$principal"
  echo "client secret (shown once; prefer a certificate: az ad app credential reset --id $app_id --cert @cert.pem):"
  run az ad app credential reset --id "$app_id" --display-name onramp --years 1 --query password -o tsv
fi

if [[ -n "$portal_redirect" ]]; then
  echo "portal sign-in app ${name}-portal"
  roles='[{"allowedMemberTypes":["User"],"displayName":"onramp admin","description":"Full access to the onramp portal","value":"Onramp.Admin","isEnabled":true,"id":"'"$(cat /proc/sys/kernel/random/uuid)"'"},{"allowedMemberTypes":["User"],"displayName":"onramp viewer","description":"Read-only access to the onramp portal","value":"Onramp.Viewer","isEnabled":true,"id":"'"$(cat /proc/sys/kernel/random/uuid)"'"}]'
  if [[ "$dry_run" == yes ]]; then
    portal_app_id="<portal appId>"
    run az ad app create --display-name "${name}-portal" --sign-in-audience AzureADMyOrg --web-redirect-uris "$portal_redirect" --app-roles "$roles"
  else
    portal_app_id=$(az ad app create --display-name "${name}-portal" --sign-in-audience AzureADMyOrg \
      --web-redirect-uris "$portal_redirect" --app-roles "$roles" --query appId -o tsv)
  fi
  run az ad sp create --id "$portal_app_id"
  echo "  ONRAMP_OIDC_ISSUER=https://login.microsoftonline.com/<tenant id>/v2.0"
  echo "  ONRAMP_OIDC_CLIENT_ID=$portal_app_id   (and a secret: az ad app credential reset --id $portal_app_id)"
  echo "  assign users or groups to Onramp.Admin / Onramp.Viewer under Enterprise applications > ${name}-portal"
fi

if [[ "$dry_run" == yes ]]; then tenant="<tenant id>"; else tenant=$(az account show --query tenantId -o tsv); fi
cat <<EOF

Done. Settings for onramp:
  ONRAMP_GRAPH_TENANT_ID=$tenant
  ONRAMP_GRAPH_CLIENT_ID=$app_id

Two grants Entra ID cannot scope, to make in Exchange Online PowerShell (Connect-ExchangeOnline):
EOF
if [[ "$mail" == yes ]]; then
  cat <<'EOF'
  * Mail.Send lets the app send as any mailbox until restricted to the shared one. Put the shared
    mailbox in a mail-enabled security group, then:
      New-ApplicationAccessPolicy -AppId <client id> -PolicyScopeGroupId onramp-senders@contoso.com -AccessRight RestrictAccess -Description "onramp sends as the onboarding mailbox only"
      Test-ApplicationAccessPolicy -AppId <client id> -Identity someone.else@contoso.com   # AccessCheckResult: Denied
    (RBAC for Applications is the newer way: assign "Application Mail.Send" with a management scope,
    and remove the Entra ID grant of Mail.Send, which would still apply tenant-wide.)
EOF
fi
if [[ "$signatures" == yes ]]; then
  cat <<'EOF'
  * Exchange.ManageAsApp lets the app call Exchange Online; what it may do there comes from an Exchange
    role. Give it a custom management role holding Set-MailboxMessageConfiguration, scoped to the
    mailboxes whose signatures onramp sets (docs/GRAPH.md):
      New-ServicePrincipal -AppId <client id> -ObjectId <service principal object id> -DisplayName onramp
      New-ManagementRoleAssignment -App <client id> -Role <that custom role> -CustomResourceScope <scope of those mailboxes>
EOF
fi
echo "  (principal: $principal)"
