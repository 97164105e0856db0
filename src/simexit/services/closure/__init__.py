"""From the first question to the decision: pre-check with an exact quote, the application (apply, approve, reject,
withdraw), the review queue, the status look-up, the public cancellation entry and the line changes that clear
blockers.
"""
