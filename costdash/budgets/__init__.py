"""Budgets: daily, weekly or monthly amounts per developer, per team, and a default per developer."""
