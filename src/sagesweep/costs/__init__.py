"""What a sweep costs: prices, the forecast before launch, quotas, spend and the budget.

Read docs/costs.md for what is forecast, what is measured and what a budget guarantees.
"""
