"""Request and response bodies: for each resource a ladder XCreate, XUpdate, XPublic."""
