"""Which function writes one element of each accounting resource (used by the batch write endpoints)."""

from . import credit_notes, payments, rules, transactions

WRITERS = {
    "Items": rules.save_item,
    "Contacts": rules.save_contact,
    "PurchaseOrders": transactions.save_purchase_order,
    "Invoices": transactions.save_invoice,
    "CreditNotes": credit_notes.save_credit_note,
    "Payments": payments.save_payment,
    "BatchPayments": payments.save_batch_payment,
    "BankTransactions": transactions.save_bank_transaction,
    "ManualJournals": transactions.save_manual_journal,
}
