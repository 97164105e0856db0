"""Fleet closure: a file of lines read as a stream, decided by the same rules as a single application, and approved
by staff.
"""
