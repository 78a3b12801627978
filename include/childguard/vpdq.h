/* placeholder: vPDQ (issue 7) */
