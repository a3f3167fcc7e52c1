"""The retraction check: every included study's DOI looked up in Crossref, frozen like a search."""
