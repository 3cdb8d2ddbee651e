/** The tracked users' statuses, in the order the screens list them (src/onboarding/onboarding.domain.ts USER_STATUS). */
export const STATUSES = ['Pending', 'Sent', 'Clicked', 'AddedToGroup', 'Active', 'Excluded', 'Overdue', 'Error'];
