/**
 * The Kysely `Database` type. Each feature declares its own tables next to its code and adds them here.
 *
 * Portable column conventions (one set of migrations and queries for SQLite and PostgreSQL):
 * - timestamps are ISO-8601 UTC text (`2026-11-23T09:00:00.000Z`): they sort and compare as text on both;
 * - booleans are integers 0/1;
 * - JSON documents are text;
 * - surrogate ids are 64-bit integers, returned as JS numbers.
 */
import type { FoundationTables } from './foundation.tables.js';
import type { MailTables } from '../mail/mail.tables.js';
import type { GatewayTables } from '../gateway/gateway.tables.js';
import type { DevicesTables } from '../devices/devices.tables.js';
import type { DirectoryTables } from '../directory/directory.tables.js';
import type { SignaturesTables } from '../signatures/signatures.tables.js';
import type { SignatureDeploymentTables } from '../signatures/deployment.tables.js';
import type { AuthTables } from '../auth/auth.tables.js';
import type { OnboardingTables } from '../onboarding/onboarding.tables.js';
import type { AddinTables } from '../addin/addin.tables.js';
import type { BrandingTables } from '../branding/branding.tables.js';

export interface Database
  extends FoundationTables,
    OnboardingTables,
    AuthTables,
    GatewayTables,
    DevicesTables,
    MailTables,
    DirectoryTables,
    SignaturesTables,
    SignatureDeploymentTables,
    AddinTables,
    BrandingTables {}
