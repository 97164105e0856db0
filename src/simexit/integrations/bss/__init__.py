"""The operator's BSS as simexit's source of live facts (TMF637 products, TMF666 accounts, TMF678 bills) and as
the executor of a family closure's other parts (TMF622 product orders). See ``tmf.py`` for the contract."""
