// Every attack of the suite, in the order they run.
import type { Attack } from '../harness.js';
import { amplification } from './amplification.js';
import { reflection } from './reflection.js';
import { churn } from './churn.js';
import { fuzz } from './fuzz.js';
import { oversize } from './oversize.js';

export const ATTACKS: readonly Attack[] = [amplification, reflection, churn, oversize, fuzz];
