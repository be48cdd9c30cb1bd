// What selection and early stopping watch, from the hyperparameters.
import type { LinearLearnerHyperparameters } from './hyperparameters.js';
import type { SelectionTargets } from './selection.js';
import { normalizeCriterion, type SelectionCriterion } from './settings.js';

export function criterionOf(hp: LinearLearnerHyperparameters, override?: string): SelectionCriterion {
  return normalizeCriterion(override ?? hp.binary_classifier_model_selection_criteria);
}

export function targetsOf(hp: LinearLearnerHyperparameters): SelectionTargets {
  return { beta: hp.f_beta, targetPrecision: hp.target_precision, targetRecall: hp.target_recall };
}

const criterionMetric: Record<SelectionCriterion, string> = {
  accuracy: 'binary_classification_accuracy',
  f_beta: 'binary_f_beta',
  precision_at_target_recall: 'precision',
  recall_at_target_precision: 'recall',
  loss_function: 'objective_loss',
};

/** The validation metric early stopping and the best epoch follow: the selection criterion's, or the loss. */
export function objectiveOf(hp: LinearLearnerHyperparameters): { metric: string; minimize: boolean } {
  if (hp.predictor_type !== 'binary_classifier') return { metric: 'objective_loss', minimize: true };
  const metric = criterionMetric[criterionOf(hp)];
  return { metric, minimize: metric === 'objective_loss' };
}
