import { describe, expect, it } from 'vitest';
import { combineWithClassifier, RISK_SUGGESTIONS, suggestionLevel } from './classifier-policy.ts';
import { levelRank, RISK_LEVELS } from './risk-level.ts';

describe('the classifier can only raise the bar (risk R-20)', () => {
  it('"lower" while the rules say step_up stays step_up', () => {
    expect(combineWithClassifier('step_up', 'lower')).toEqual({ level: 'step_up', review: false });
  });

  it('over every (rules level × suggestion): never below the rules, never a refusal the rules did not make', () => {
    let cases = 0;
    for (const rules of RISK_LEVELS) {
      expect(combineWithClassifier(rules, undefined)).toEqual({ level: rules, review: false });
      for (const suggestion of RISK_SUGGESTIONS) {
        const { level, review } = combineWithClassifier(rules, suggestion);
        cases++;
        expect(levelRank(level), `${rules}/${suggestion}`).toBeGreaterThanOrEqual(levelRank(rules));
        expect(suggestionLevel(suggestion, rules), `${rules}/${suggestion}`).not.toBe('deny_pending_review');
        if (rules !== 'deny_pending_review') expect(level, `${rules}/${suggestion}`).not.toBe('deny_pending_review');
        if (suggestion === 'lower' || suggestion === 'same') expect(level, `${rules}/${suggestion}`).toBe(rules);
        if (suggestion === 'raise') expect(levelRank(level)).toBe(Math.max(levelRank(rules), Math.min(levelRank(rules) + 1, levelRank('hardware_step_up'))));
        // A lock is a review for a human and at most a hardware step-up from the classifier: never a lock.
        expect(review, `${rules}/${suggestion}`).toBe(suggestion === 'lock');
        if (suggestion === 'lock') expect(level).toBe(rules === 'deny_pending_review' ? 'deny_pending_review' : 'hardware_step_up');
      }
    }
    expect(cases).toBe(RISK_LEVELS.length * RISK_SUGGESTIONS.length);
  });
});
