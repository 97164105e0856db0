"""A number after its closure: permanent-disconnect records (reassigned-numbers export and query) and the relying
parties told of it.
"""
