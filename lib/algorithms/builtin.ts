// Registers the algorithms that ship with the package, so the CLI and
// checkpoint loading find them by name.
import { deepar } from './deepar/index.js';
import { factorizationMachines } from './factorization-machines/index.js';
import { kmeans } from './kmeans/index.js';
import { linearLearner } from './linear-learner/index.js';
import { ntm } from './ntm/index.js';
import { pca } from './pca/index.js';
import { registerAlgorithm } from './registry.js';
import type { Algorithm } from './types.js';

registerAlgorithm(linearLearner as unknown as Algorithm);
registerAlgorithm(kmeans as unknown as Algorithm);
registerAlgorithm(pca as unknown as Algorithm);
registerAlgorithm(factorizationMachines as unknown as Algorithm);
registerAlgorithm(ntm as unknown as Algorithm);
registerAlgorithm(deepar as unknown as Algorithm);
