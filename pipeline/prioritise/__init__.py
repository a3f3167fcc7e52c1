"""Screening prioritisation: a relevance model that puts the likely includes first, and a stopping rule.

features (TF-IDF over title, abstract, keywords, MeSH) -> model (a linear classifier with class
balancing, retrained on the decisions so far) -> ranking; coldstart ranks by similarity to the
protocol before the first include; stopping is the Callaghan & Müller-Hansen (2020) hypergeometric
rule; simulate replays a labelled review as the app would screen it.
"""
