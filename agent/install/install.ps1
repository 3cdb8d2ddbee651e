<#
.SYNOPSIS
  Installs the onramp agent: the executable, its config and its two scheduled tasks.

.DESCRIPTION
  Run elevated: from an administrator's PowerShell, or as an Intune Win32 app installed in the System
  context (docs/AGENT.md, "Install and Intune"). Running it again updates in place.

  - Copies onramp-agent.exe to -InstallDir (default: %ProgramFiles%\onramp).
  - Writes %ProgramData%\onramp\agent.json from the parameters (or copies -ConfigFile as it is),
    readable by Users, writable by administrators and SYSTEM only; lets Users write the folder itself
    (the user part leaves wallpaper and lock screen files there for the SYSTEM part).
  - Registers "onramp agent (user)": every signed-in user (BUILTIN\Users), at logon and every
    -IntervalMinutes, runs `onramp-agent.exe sync` (the agent waits a random delay of up to
    -JitterMinutes first, so a fleet does not sync in the same minute).
  - Registers "onramp agent (machine)": SYSTEM, at boot and every -IntervalMinutes, runs
    `onramp-agent.exe machine` (wallpaper and lock screen through PersonalizationCSP, which is HKLM).
  - Records the version under HKLM\SOFTWARE\onramp (AgentVersion: Intune's detection rule reads it).

.EXAMPLE
  .\install.ps1 -ServerUrl https://onramp.contoso.com:8443 -PfxFile C:\certs\alice.pfx -PassphraseFile C:\certs\alice.pass
#>
[CmdletBinding(DefaultParameterSetName = 'Pfx')]
param(
  [Parameter(Mandatory = $true, ParameterSetName = 'Pfx')]
  [Parameter(Mandatory = $true, ParameterSetName = 'Pem')]
  [ValidatePattern('^https://[^/?#]+/?$')]
  [string] $ServerUrl,

  # 'auto': each signed-in user's UPN, found by the agent (whoami /upn), so one config serves every user.
  [Parameter(ParameterSetName = 'Pfx')]
  [Parameter(ParameterSetName = 'Pem')]
  [ValidatePattern('^(auto|[^@\s]+@[^@\s]+)$')]
  [string] $Upn = 'auto',

  [Parameter(Mandatory = $true, ParameterSetName = 'Pfx')] [string] $PfxFile,
  [Parameter(ParameterSetName = 'Pfx')] [string] $PassphraseFile,
  [Parameter(Mandatory = $true, ParameterSetName = 'Pem')] [string] $CertFile,
  [Parameter(Mandatory = $true, ParameterSetName = 'Pem')] [string] $KeyFile,
  [Parameter(ParameterSetName = 'Pfx')] [Parameter(ParameterSetName = 'Pem')] [string] $CaFile,
  [Parameter(ParameterSetName = 'Pfx')] [Parameter(ParameterSetName = 'Pem')] [string] $ScreensaverPlayer,

  # A complete agent config, used as it is instead of the parameters above.
  [Parameter(Mandatory = $true, ParameterSetName = 'File')] [string] $ConfigFile,

  [ValidateRange(5, 10080)] [int] $IntervalMinutes = 60,
  [ValidateRange(0, 1440)] [int] $JitterMinutes = 15,
  [string] $InstallDir = (Join-Path $env:ProgramFiles 'onramp')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$UserTask = 'onramp agent (user)'
$MachineTask = 'onramp agent (machine)'
$TaskPath = '\onramp\'
$MachineKey = 'HKLM:\SOFTWARE\onramp'

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
  throw 'install.ps1 must run elevated (an administrator, or Intune in the System context): it registers a SYSTEM task and writes HKLM'
}
# A 32-bit PowerShell (Intune's extension is a 32-bit process) would write the WOW6432Node registry view and SysWOW64.
if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
  throw 'install.ps1 must run in 64-bit PowerShell: use %SystemRoot%\sysnative\WindowsPowerShell\v1.0\powershell.exe'
}

$here = Split-Path -Parent $MyInvocation.MyCommand.Path
$sourceExe = Join-Path $here 'onramp-agent.exe'
if (-not (Test-Path -LiteralPath $sourceExe)) { throw "onramp-agent.exe is not next to install.ps1 ($here)" }
$versionFile = Join-Path $here 'onramp-agent.version'
$version = if (Test-Path -LiteralPath $versionFile) { (Get-Content -LiteralPath $versionFile -Raw).Trim() } else { 'unknown' }

# A running sync holds the executable open: stop both tasks before replacing it.
foreach ($name in @($UserTask, $MachineTask)) {
  $task = Get-ScheduledTask -TaskPath $TaskPath -TaskName $name -ErrorAction SilentlyContinue
  if ($task) { Stop-ScheduledTask -TaskPath $TaskPath -TaskName $name -ErrorAction SilentlyContinue }
}

New-Item -ItemType Directory -Force -Path $InstallDir | Out-Null
$exe = Join-Path $InstallDir 'onramp-agent.exe'
Copy-Item -LiteralPath $sourceExe -Destination $exe -Force

$configDir = Join-Path $env:ProgramData 'onramp'
New-Item -ItemType Directory -Force -Path $configDir | Out-Null
$config = Join-Path $configDir 'agent.json'
if ($PSCmdlet.ParameterSetName -eq 'File') {
  Copy-Item -LiteralPath $ConfigFile -Destination $config -Force
} else {
  $credentials = if ($PSCmdlet.ParameterSetName -eq 'Pem') {
    [ordered]@{ certFile = $CertFile; keyFile = $KeyFile }
  } else {
    $pfx = [ordered]@{ pfxFile = $PfxFile }
    if ($PassphraseFile) { $pfx.passphraseFile = $PassphraseFile }
    $pfx
  }
  $settings = [ordered]@{ serverUrl = $ServerUrl; upn = $Upn; credentials = $credentials; jitterMinutes = $JitterMinutes }
  if ($CaFile) { $settings.caFile = $CaFile }
  if ($ScreensaverPlayer) { $settings.screensaverPlayer = $ScreensaverPlayer }
  # UTF-8 without a byte-order mark (Windows PowerShell's -Encoding UTF8 writes one, which JSON.parse refuses).
  [IO.File]::WriteAllText($config, ($settings | ConvertTo-Json -Depth 4), (New-Object Text.UTF8Encoding($false)))
}

# The user part puts wallpaper and lock screen files and its request for the SYSTEM part here (docs/AGENT.md),
# so Users may modify the folder; the config itself stays writable by administrators and SYSTEM only.
# By SID, so localised group names do not matter.
& icacls.exe $configDir /grant '*S-1-5-32-545:(OI)(CI)M' | Out-Null
if ($LASTEXITCODE -ne 0) { throw "icacls could not let Users write $configDir" }
& icacls.exe $config /inheritance:r /grant:r '*S-1-5-18:F' '*S-1-5-32-544:F' '*S-1-5-32-545:R' | Out-Null
if ($LASTEXITCODE -ne 0) { throw "icacls could not protect $config" }

$settingsSet = New-ScheduledTaskSettingsSet -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries -StartWhenAvailable `
  -MultipleInstances IgnoreNew -ExecutionTimeLimit (New-TimeSpan -Minutes 30)
$every = New-ScheduledTaskTrigger -Once -At (Get-Date).AddMinutes(1) -RepetitionInterval (New-TimeSpan -Minutes $IntervalMinutes)

# The user part: each signed-in member of BUILTIN\Users (by SID, so a localised group name does not matter), not elevated.
$userAction = New-ScheduledTaskAction -Execute $exe -Argument "sync --config `"$config`"" -WorkingDirectory $InstallDir
$userPrincipal = New-ScheduledTaskPrincipal -GroupId 'S-1-5-32-545' -RunLevel Limited
Register-ScheduledTask -TaskPath $TaskPath -TaskName $UserTask -Action $userAction -Principal $userPrincipal -Settings $settingsSet `
  -Trigger @((New-ScheduledTaskTrigger -AtLogOn), $every) -Description 'onramp: Outlook signatures, Teams backgrounds, screensaver for the signed-in user' -Force | Out-Null

# The machine part: SYSTEM, for what only HKLM holds (PersonalizationCSP).
$machineAction = New-ScheduledTaskAction -Execute $exe -Argument "machine --config `"$config`"" -WorkingDirectory $InstallDir
$machinePrincipal = New-ScheduledTaskPrincipal -UserId 'S-1-5-18' -LogonType ServiceAccount -RunLevel Highest
Register-ScheduledTask -TaskPath $TaskPath -TaskName $MachineTask -Action $machineAction -Principal $machinePrincipal -Settings $settingsSet `
  -Trigger @((New-ScheduledTaskTrigger -AtStartup), $every) -Description 'onramp: desktop wallpaper and lock screen (PersonalizationCSP)' -Force | Out-Null

New-Item -Path $MachineKey -Force | Out-Null
Set-ItemProperty -Path $MachineKey -Name 'AgentVersion' -Value $version -Type String
Set-ItemProperty -Path $MachineKey -Name 'InstallDir' -Value $InstallDir -Type String

Write-Output "onramp agent $version installed in $InstallDir; config $config; tasks $TaskPath$UserTask and $TaskPath$MachineTask"
