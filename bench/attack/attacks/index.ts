// Every attack of the suite, in the order they run.
import type { Attack } from '../harness.js';
import { amplification } from './amplification.js';
import { reflection } from './reflection.js';
import { churn } from './churn.js';
import { fuzz } from './fuzz.js';
import { oversize } from './oversize.js';
import { silentSessions } from './silent-sessions.js';
import { hostileConnect } from './hostile-connect.js';

export const ATTACKS: readonly Attack[] = [amplification, reflection, silentSessions, hostileConnect, churn, oversize, fuzz];
