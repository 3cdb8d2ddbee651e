// onramp on Azure (docs/OPERATIONS.md, "Azure"). Not deployed or compiled by onramp's tests: no Bicep
// CLI is available where they run. Review `az deployment group what-if` before the first deployment.
//
//   devices ──mTLS──▶ API Management, device host name: asks for the client certificate, forwards it
//                     in X-ARR-ClientCert to the device API (path /device)
//   admins, links ──▶ API Management, any host name: the public API (path /), no certificate asked
//                          │ VNet integration (apim subnet)
//                          ▼
//                    Container Apps, internal environment (VNet only): onramp, 2+ replicas
//                      :8080 HTTP ingress (public listener)
//                      :8443 TCP port straight to onramp's TLS (device listener, forwarded-certificate mode)
//                          │ user-assigned managed identity: Key Vault secrets, Microsoft Graph (app roles
//                          │ granted by app-registration.sh --managed-identity), the registry
//                          ▼
//                    PostgreSQL Flexible Server (private access), Key Vault (RBAC)

targetScope = 'resourceGroup'

@description('Short name used in every resource name.')
@minLength(3)
@maxLength(12)
param name string = 'onramp'

param location string = resourceGroup().location

@description('Container image, e.g. contoso.azurecr.io/onramp:0.1.0 (built from the repository Dockerfile).')
param image string

@description('Registry server the managed identity pulls from (AcrPull granted separately); empty for a public image.')
param registryServer string = ''

@description('Absolute URL users reach the public listener at (links in emails), e.g. https://onramp.contoso.com. Empty: the Container App default address.')
param publicUrl string = ''

@description('Shared mailbox invitations are sent from (Graph sendMail).')
param mailFrom string

@description('Object id of the Entra ID group the enrol link adds users to.')
param mfaGroupId string = ''

@description('PostgreSQL administrator login.')
param postgresAdminLogin string = 'onramp'

@secure()
@description('PostgreSQL administrator password.')
param postgresAdminPassword string

@secure()
@description('Signs the enrol page form; the same on every replica. 32+ characters.')
param linkSecret string = '${newGuid()}${newGuid()}'

@secure()
@description('Bearer token for GET /metrics on the public listener. 32+ characters.')
param metricsToken string = '${newGuid()}${newGuid()}'

@secure()
@description('PEM server certificate (with chain) of the device listener; API Management connects to it.')
param deviceServerCertPem string

@secure()
@description('PEM private key of that certificate.')
param deviceServerKeyPem string

@secure()
@description('PEM root CA and issuing CA certificates of the device certificates: API Management forwards the device certificate without its chain, so the issuing CAs must be anchors too.')
param deviceTrustAnchorsPem string

@secure()
@description('PEM CRL of the issuing CA (revoked device certificates). Update the Key Vault secret to publish a new one.')
param deviceCrlPem string

@description('Optional OTLP/HTTP traces endpoint (e.g. an OpenTelemetry Collector). Empty: tracing off.')
param otlpEndpoint string = ''

@description('Host name devices call (e.g. devices.contoso.com), with its TLS certificate in Key Vault. Empty: devices use the API Management default host name, which then asks every caller for a certificate (browsers of users holding one may show a picker).')
param deviceHostName string = ''

@description('Key Vault secret URI of the PFX certificate for deviceHostName (readable by the managed identity).')
param deviceHostCertificateSecretUri string = ''

@description('Publisher e-mail of the API Management instance.')
param apimPublisherEmail string

param apimPublisherName string = 'IT'

param minReplicas int = 2
param maxReplicas int = 4

var suffix = uniqueString(resourceGroup().id, name)
var apimName = '${name}-apim-${suffix}'
var apimGatewayUrl = 'https://${apimName}.azure-api.net'
var vnetPrefix = '10.40.0.0/16'
var acaSubnetPrefix = '10.40.0.0/23'
var apimSubnetPrefix = '10.40.2.0/27'
var postgresSubnetPrefix = '10.40.3.0/28'
var databaseName = 'onramp'
// Built-in role: Key Vault Secrets User.
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${name}-logs-${suffix}'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${name}-id-${suffix}'
  location: location
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-01-01' = {
  name: '${name}-vnet'
  location: location
  properties: {
    addressSpace: { addressPrefixes: [vnetPrefix] }
    subnets: [
      {
        name: 'aca'
        properties: {
          addressPrefix: acaSubnetPrefix
          delegations: [{ name: 'aca', properties: { serviceName: 'Microsoft.App/environments' } }]
        }
      }
      {
        name: 'apim'
        properties: {
          addressPrefix: apimSubnetPrefix
          delegations: [{ name: 'apim', properties: { serviceName: 'Microsoft.Web/serverFarms' } }]
        }
      }
      {
        name: 'postgres'
        properties: {
          addressPrefix: postgresSubnetPrefix
          delegations: [{ name: 'postgres', properties: { serviceName: 'Microsoft.DBforPostgreSQL/flexibleServers' } }]
        }
      }
    ]
  }
}

// ---- PostgreSQL Flexible Server, private access only --------------------------------------------

resource postgresDns 'Microsoft.Network/privateDnsZones@2020-06-01' = {
  name: '${name}-${suffix}.private.postgres.database.azure.com'
  location: 'global'
}

resource postgresDnsLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {
  parent: postgresDns
  name: 'vnet'
  location: 'global'
  properties: {
    virtualNetwork: { id: vnet.id }
    registrationEnabled: false
  }
}

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: '${name}-pg-${suffix}'
  location: location
  sku: { name: 'Standard_B1ms', tier: 'Burstable' }
  properties: {
    version: '16'
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
    storage: { storageSizeGB: 32, autoGrow: 'Enabled' }
    // Point-in-time restore window; pg_dump copies are for elsewhere (docs/OPERATIONS.md).
    backup: { backupRetentionDays: 14, geoRedundantBackup: 'Disabled' }
    network: {
      delegatedSubnetResourceId: '${vnet.id}/subnets/postgres'
      privateDnsZoneArmResourceId: postgresDns.id
      publicNetworkAccess: 'Disabled'
    }
    highAvailability: { mode: 'Disabled' }
  }
  dependsOn: [postgresDnsLink]
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: postgres
  name: databaseName
  properties: { charset: 'UTF8', collation: 'en_US.utf8' }
}

// ---- Key Vault: every secret the app reads --------------------------------------------------------

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: '${name}-kv-${suffix}'
  location: location
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
    enablePurgeProtection: true
  }
}

var secretValues = {
  'database-url': 'postgres://${uriComponent(postgresAdminLogin)}:${uriComponent(postgresAdminPassword)}@${postgres.properties.fullyQualifiedDomainName}:5432/${databaseName}?sslmode=require'
  'link-secret': linkSecret
  'metrics-token': metricsToken
  'device-server-cert': deviceServerCertPem
  'device-server-key': deviceServerKeyPem
  'device-trust-anchors': deviceTrustAnchorsPem
  'device-crl': deviceCrlPem
}

// Iterated by name: a loop's array must be known when the deployment starts, its values need not be.
var secretNames = ['database-url', 'link-secret', 'metrics-token', 'device-server-cert', 'device-server-key', 'device-trust-anchors', 'device-crl']

resource secrets 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = [
  for secretName in secretNames: {
    parent: vault
    name: secretName
    properties: { value: secretValues[secretName] }
  }
]

resource identityReadsSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, identity.id, keyVaultSecretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---- Container Apps -------------------------------------------------------------------------------

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${name}-env-${suffix}'
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
    vnetConfiguration: {
      infrastructureSubnetId: '${vnet.id}/subnets/aca'
      // No public address: API Management is the one way in, so the device port is never reachable
      // without it (the forwarded-certificate header is believed from its subnet only).
      internal: true
    }
    workloadProfiles: [{ name: 'Consumption', workloadProfileType: 'Consumption' }]
  }
}

var kvSecret = [for secretName in secretNames: { name: secretName, keyVaultUrl: '${vault.properties.vaultUri}secrets/${secretName}', identity: identity.id }]

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: name
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    environmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      secrets: kvSecret
      registries: empty(registryServer) ? [] : [{ server: registryServer, identity: identity.id }]
      // "external" in an internal environment: reachable from the VNet (API Management), not the internet.
      ingress: {
        external: true
        targetPort: 8080
        transport: 'http'
        allowInsecure: false
        // The device listener: TCP straight to onramp's own TLS.
        additionalPortMappings: [{ external: true, targetPort: 8443, exposedPort: 8443 }]
      }
    }
    template: {
      scale: { minReplicas: minReplicas, maxReplicas: maxReplicas }
      volumes: [
        {
          name: 'pki'
          storageType: 'Secret'
          secrets: [
            { secretRef: 'device-server-cert', path: 'server.pem' }
            { secretRef: 'device-server-key', path: 'server.key' }
            { secretRef: 'device-trust-anchors', path: 'trust-anchors.pem' }
            { secretRef: 'device-crl', path: 'issuing-ca.crl.pem' }
          ]
        }
      ]
      containers: [
        {
          name: 'onramp'
          image: image
          resources: { cpu: json('0.5'), memory: '1Gi' }
          volumeMounts: [{ volumeName: 'pki', mountPath: '/pki' }]
          env: [
            { name: 'ONRAMP_DATABASE_URL', secretRef: 'database-url' }
            { name: 'ONRAMP_DATABASE_SCHEMA', value: 'onramp' }
            { name: 'ONRAMP_PUBLIC_URL', value: empty(publicUrl) ? apimGatewayUrl : publicUrl }
            // Requests reach onramp through the environment's ingress (aca subnet) and API Management (apim subnet).
            { name: 'ONRAMP_TRUST_PROXY', value: '${acaSubnetPrefix},${apimSubnetPrefix}' }
            { name: 'ONRAMP_ONBOARDING_LINK_SECRET', secretRef: 'link-secret' }
            { name: 'ONRAMP_ONBOARDING_MFA_GROUP_ID', value: mfaGroupId }
            { name: 'ONRAMP_METRICS_TOKEN', secretRef: 'metrics-token' }
            { name: 'ONRAMP_OTLP_ENDPOINT', value: otlpEndpoint }
            { name: 'ONRAMP_GRAPH_TENANT_ID', value: tenant().tenantId }
            { name: 'ONRAMP_GRAPH_CREDENTIAL', value: 'managedIdentity' }
            { name: 'ONRAMP_GRAPH_CLIENT_ID', value: identity.properties.clientId }
            { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
            { name: 'ONRAMP_MAIL_TRANSPORT', value: 'graph' }
            { name: 'ONRAMP_MAIL_FROM', value: mailFrom }
            { name: 'ONRAMP_DEVICE_SERVER_CERT_FILE', value: '/pki/server.pem' }
            { name: 'ONRAMP_DEVICE_SERVER_KEY_FILE', value: '/pki/server.key' }
            { name: 'ONRAMP_DEVICE_TRUST_ANCHORS_FILE', value: '/pki/trust-anchors.pem' }
            { name: 'ONRAMP_DEVICE_CRL_FILES', value: '/pki/issuing-ca.crl.pem' }
            // Forwarded-certificate mode: only API Management's subnet (and the ingress in front of the
            // port) may send the certificate, in the one header API Management sets.
            { name: 'ONRAMP_DEVICE_TRUSTED_PROXIES', value: '${acaSubnetPrefix},${apimSubnetPrefix}' }
            { name: 'ONRAMP_DEVICE_FORWARDED_CERT_HEADERS', value: 'x-arr-clientcert' }
          ]
          probes: [
            { type: 'Liveness', httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 30 }
            { type: 'Readiness', httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 10 }
          ]
        }
      ]
    }
  }
  dependsOn: [identityReadsSecrets, secrets, database]
}

// The environment's own domain resolves to its static address inside the VNet, so API Management
// reaches the device port by the app's name.
resource environmentDns 'Microsoft.Network/privateDnsZones@2020-06-01' = {
  name: environment.properties.defaultDomain
  location: 'global'
}

resource environmentDnsWildcard 'Microsoft.Network/privateDnsZones/A@2020-06-01' = {
  parent: environmentDns
  name: '*'
  properties: {
    ttl: 300
    aRecords: [{ ipv4Address: environment.properties.staticIp }]
  }
}

resource environmentDnsLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {
  parent: environmentDns
  name: 'vnet'
  location: 'global'
  properties: {
    virtualNetwork: { id: vnet.id }
    registrationEnabled: false
  }
}

// ---- API Management in front of the device listener ------------------------------------------------

var defaultHost = {
  type: 'Proxy'
  hostName: '${apimName}.azure-api.net'
  certificateSource: 'BuiltIn'
  defaultSslBinding: true
  negotiateClientCertificate: empty(deviceHostName)
}
var deviceHost = {
  type: 'Proxy'
  hostName: deviceHostName
  certificateSource: 'KeyVault'
  keyVaultId: deviceHostCertificateSecretUri
  identityClientId: identity.properties.clientId
  defaultSslBinding: false
  // Ask devices for their certificate; onramp judges it (chain, CRLs, EKU, identity).
  negotiateClientCertificate: true
}

resource apim 'Microsoft.ApiManagement/service@2024-05-01' = {
  name: apimName
  location: location
  sku: { name: 'StandardV2', capacity: 1 }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    publisherEmail: apimPublisherEmail
    publisherName: apimPublisherName
    // Standard v2: outbound VNet integration into the apim subnet, gateway stays public.
    virtualNetworkType: 'External'
    virtualNetworkConfiguration: { subnetResourceId: '${vnet.id}/subnets/apim' }
    hostnameConfigurations: empty(deviceHostName) ? [defaultHost] : [defaultHost, deviceHost]
  }
  dependsOn: [environmentDnsLink, identityReadsSecrets]
}

var appHost = '${name}.${environment.properties.defaultDomain}'

resource publicBackend 'Microsoft.ApiManagement/service/backends@2024-05-01' = {
  parent: apim
  name: 'onramp-public'
  properties: {
    protocol: 'http'
    url: 'https://${appHost}'
  }
}

resource deviceBackend 'Microsoft.ApiManagement/service/backends@2024-05-01' = {
  parent: apim
  name: 'onramp-device'
  properties: {
    protocol: 'http'
    url: 'https://${appHost}:8443'
    // onramp's device certificate usually comes from the organisation's own CA: upload that CA to API
    // Management (CA certificates) and set both to true.
    tls: { validateCertificateChain: false, validateCertificateName: false }
  }
}

// The public listener (portal, admin API, links in emails), every path and method passed through.
resource publicApi 'Microsoft.ApiManagement/service/apis@2024-05-01' = {
  parent: apim
  name: 'onramp-public'
  properties: {
    displayName: 'onramp public listener'
    path: ''
    protocols: ['https']
    subscriptionRequired: false
    serviceUrl: 'https://${appHost}'
  }
}

// Devices call https://<device host>/device/api/…; API Management forwards /api/… to the device port.
resource deviceApi 'Microsoft.ApiManagement/service/apis@2024-05-01' = {
  parent: apim
  name: 'onramp-device'
  properties: {
    displayName: 'onramp device API'
    path: 'device'
    protocols: ['https']
    subscriptionRequired: false
    serviceUrl: 'https://${appHost}:8443'
  }
}

var methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

resource publicOperations 'Microsoft.ApiManagement/service/apis/operations@2024-05-01' = [
  for method in methods: {
    parent: publicApi
    name: 'all-${toLower(method)}'
    properties: { displayName: '${method} /*', method: method, urlTemplate: '/*' }
  }
]

resource deviceOperations 'Microsoft.ApiManagement/service/apis/operations@2024-05-01' = [
  for method in ['GET', 'POST']: {
    parent: deviceApi
    name: 'all-${toLower(method)}'
    properties: { displayName: '${method} /*', method: method, urlTemplate: '/*' }
  }
]

resource publicPolicy 'Microsoft.ApiManagement/service/apis/policies@2024-05-01' = {
  parent: publicApi
  name: 'policy'
  properties: {
    format: 'rawxml'
    value: '''
<policies>
  <inbound>
    <base />
    <set-backend-service backend-id="onramp-public" />
    <set-header name="X-Forwarded-Host" exists-action="override"><value>@(context.Request.OriginalUrl.Host)</value></set-header>
  </inbound>
  <backend><forward-request timeout="240" /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>
'''
  }
  dependsOn: [publicBackend]
}

// Forwards the device's certificate (base64 DER) in the one header onramp reads; a client-sent copy of
// either header is dropped. No key or secret in the policy: onramp trusts API Management by address.
resource devicePolicy 'Microsoft.ApiManagement/service/apis/policies@2024-05-01' = {
  parent: deviceApi
  name: 'policy'
  properties: {
    format: 'rawxml'
    value: '''
<policies>
  <inbound>
    <base />
    <set-backend-service backend-id="onramp-device" />
    <set-header name="X-Forwarded-Client-Cert" exists-action="delete" />
    <set-header name="X-ARR-ClientCert" exists-action="override">
      <value>@(context.Request.Certificate == null ? "" : Convert.ToBase64String(context.Request.Certificate.RawData))</value>
    </set-header>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>
'''
  }
  dependsOn: [deviceBackend]
}

output publicUrl string = empty(publicUrl) ? apimGatewayUrl : publicUrl
output deviceApiUrl string = empty(deviceHostName) ? '${apimGatewayUrl}/device' : 'https://${deviceHostName}/device'
output managedIdentityPrincipalId string = identity.properties.principalId
output managedIdentityClientId string = identity.properties.clientId
output keyVaultName string = vault.name
