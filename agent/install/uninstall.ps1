<#
.SYNOPSIS
  Removes the onramp agent: its scheduled tasks, executable, machine registry key and (unless -KeepConfig) its config.

.DESCRIPTION
  Run elevated. What the agent applied stays as it is: the users' Outlook signatures, Teams
  backgrounds, screensaver and the PersonalizationCSP images (%ProgramData%\onramp) are the device's
  settings now, and each user's state folder (%LOCALAPPDATA%\onramp-agent) is left in their profile.
#>
[CmdletBinding()]
param(
  [switch] $KeepConfig,
  [string] $InstallDir
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$TaskPath = '\onramp\'
$MachineKey = 'HKLM:\SOFTWARE\onramp'

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) { throw 'uninstall.ps1 must run elevated' }

if (-not $InstallDir) {
  $recorded = Get-ItemProperty -Path $MachineKey -Name 'InstallDir' -ErrorAction SilentlyContinue
  $InstallDir = if ($recorded) { $recorded.InstallDir } else { Join-Path $env:ProgramFiles 'onramp' }
}

foreach ($name in @('onramp agent (user)', 'onramp agent (machine)')) {
  if (Get-ScheduledTask -TaskPath $TaskPath -TaskName $name -ErrorAction SilentlyContinue) {
    Stop-ScheduledTask -TaskPath $TaskPath -TaskName $name -ErrorAction SilentlyContinue
    Unregister-ScheduledTask -TaskPath $TaskPath -TaskName $name -Confirm:$false
  }
}

$exe = Join-Path $InstallDir 'onramp-agent.exe'
if (Test-Path -LiteralPath $exe) { Remove-Item -LiteralPath $exe -Force }
if ((Test-Path -LiteralPath $InstallDir) -and -not (Get-ChildItem -LiteralPath $InstallDir -Force)) { Remove-Item -LiteralPath $InstallDir -Force }
# Only the config: the images beside it in %ProgramData%\onramp are what PersonalizationCSP points at.
$config = Join-Path (Join-Path $env:ProgramData 'onramp') 'agent.json'
if (-not $KeepConfig -and (Test-Path -LiteralPath $config)) { Remove-Item -LiteralPath $config -Force }
if (Test-Path -Path $MachineKey) { Remove-Item -Path $MachineKey -Recurse -Force }

Write-Output 'onramp agent removed'
