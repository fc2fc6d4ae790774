"""The pages' texts in French, keyed by their English (see `service.pages.i18n`)."""

FRENCH: dict[str, str] = {
    # Layout, signing in, errors
    "Skip to content": "Aller au contenu",
    "Main menu": "Menu principal",
    "Sign in": "Se connecter",
    "Sign out": "Se déconnecter",
    "Email": "Adresse e-mail",
    "Password": "Mot de passe",
    "Town officers, partner companies and the programme team sign in here.": (
        "Agents des communes, entreprises partenaires et équipe du programme se connectent ici."
    ),
    "Wrong email or password.": "Adresse e-mail ou mot de passe incorrect.",
    "You are signed out.": "Vous êtes déconnecté(e).",
    "the guided testing process of the region's digital strategy": (
        "le parcours d'expérimentation de la stratégie numérique de la métropole"
    ),
    "This request is not valid": "Cette demande n'est pas valide",
    "Please sign in": "Veuillez vous connecter",
    "You may not do this": "Vous ne pouvez pas faire cela",
    "Page not found": "Page introuvable",
    "Not possible now": "Impossible pour le moment",
    "A service is unavailable": "Un service est indisponible",
    "Something went wrong": "Une erreur s'est produite",
    "This form was refused: it did not carry this page's security token. It may come from "
    "another site, or from a page opened before you last signed in.": (
        "Ce formulaire a été refusé : il ne portait pas le jeton de sécurité de cette page. "
        "Il vient peut-être d'un autre site, ou d'une page ouverte avant votre dernière connexion."
    ),
    "Go back, reload the page and send the form again.": (
        "Revenez en arrière, rechargez la page et envoyez de nouveau le formulaire."
    ),
    "There is no such page, or it is not yours to see.": (
        "Cette page n'existe pas, ou elle ne vous est pas accessible."
    ),
    "The database or the workflow server does not answer. Try again in a moment.": (
        "La base de données ou le serveur de workflows ne répond pas. Réessayez dans un instant."
    ),
    "Back to your home page": "Retour à votre page d'accueil",
    "Error": "Erreur",
    "Error:": "Erreur :",
    "This was not done:": "Action non effectuée :",
    "Please correct the highlighted fields.": "Veuillez corriger les champs signalés.",
    # Form messages
    "This field is required.": "Ce champ est obligatoire.",
    "Enter a number.": "Saisissez un nombre.",
    "Enter a whole number.": "Saisissez un nombre entier.",
    "Enter a date.": "Saisissez une date.",
    "Enter a value of at least {ge}.": "Saisissez une valeur d'au moins {ge}.",
    "Enter a value of at most {le}.": "Saisissez une valeur d'au plus {le}.",
    "Enter at most {max_length} characters.": "Saisissez au plus {max_length} caractères.",
    "Give at most {max_length} items.": "Indiquez au plus {max_length} éléments.",
    "Choose one of the options.": "Choisissez l'une des options.",
    "This contains characters that are not allowed here.": (
        "Ce texte contient des caractères non autorisés ici."
    ),
    "Enter an email address such as name@example.org.": (
        "Saisissez une adresse e-mail comme nom@exemple.fr."
    ),
    # Navigation
    "Pilots": "Pilotes",
    "Submit a pilot": "Proposer un pilote",
    "Invitations and trials": "Invitations et expérimentations",
    "Profile": "Profil",
    "Overview": "Vue d'ensemble",
    "Towns": "Communes",
    "Companies": "Entreprises",
    "Users": "Utilisateurs",
    "Themes": "Thèmes",
    "Mailbox": "Boîte aux lettres",
    "Health": "État des services",
    # Stages, statuses, roles, decisions
    "Submitted": "Soumis",
    "Changes requested": "Modifications demandées",
    "Partner matching": "Recherche de partenaire",
    "Trial scheduled": "Expérimentation planifiée",
    "Trial running": "Expérimentation en cours",
    "Evaluation": "Évaluation",
    "Closed": "Clôturé",
    "Rejected": "Refusé",
    "No partner found": "Aucun partenaire trouvé",
    "Withdrawn": "Retiré",
    "Cancelled": "Annulé",
    "Invited, no answer yet": "Invitée, pas encore de réponse",
    "Interested": "Intéressée",
    "Not interested": "Pas intéressée",
    "No answer in time": "Pas de réponse dans les délais",
    "Chosen partner": "Partenaire retenu",
    "Not chosen": "Non retenue",
    "Programme team": "Équipe du programme",
    "Town officer": "Agent de la commune",
    "Company": "Entreprise",
    "the programme team": "l'équipe du programme",
    "the town": "la commune",
    "the companies": "les entreprises",
    "Approve": "Approuver",
    "Request changes": "Demander des modifications",
    "Reject": "Refuser",
    "Generalize": "Généraliser",
    "Extend the trial": "Prolonger l'expérimentation",
    "Stop": "Arrêter",
    "Queued": "En attente",
    "Being sent": "En cours d'envoi",
    "Sent": "Envoyé",
    "Failed": "Échec",
    # Audit trail
    "Pilot submitted": "Pilote soumis",
    "Proposal amended and resubmitted": "Proposition modifiée et soumise de nouveau",
    "Proposal reviewed": "Proposition examinée",
    "Review reminder sent to the programme team": "Relance envoyée à l'équipe du programme",
    "Companies invited": "Entreprises invitées",
    "Invitation reminder sent": "Relance des invitations envoyée",
    "Response deadline passed": "Date limite de réponse passée",
    "Company answered": "Réponse d'une entreprise",
    "Partner chosen": "Partenaire choisi",
    "Trial started": "Expérimentation démarrée",
    "Progress report requested": "Point d'étape demandé",
    "Progress reported": "Point d'étape transmis",
    "Trial ended": "Expérimentation terminée",
    "Evaluation reminder sent": "Relance d'évaluation envoyée",
    "Evaluation submitted": "Évaluation transmise",
    "Decision taken": "Décision prise",
    "Offered to the other towns": "Proposé aux autres communes",
    "Pilot withdrawn": "Pilote retiré",
    "Pilot cancelled": "Pilote annulé",
    "Automatic, on a deadline": "Automatique, à échéance",
    "another company": "une autre entreprise",
    "Title": "Titre",
    "Decision": "Décision",
    "Recommendation": "Recommandation",
    "Comment": "Commentaire",
    "Reason": "Motif",
    "Offer": "Offre",
    "Note": "Note",
    "Lessons": "Enseignements",
    "Satisfaction (1 to 5)": "Satisfaction (1 à 5)",
    "Extension (days)": "Prolongation (jours)",
    "Trial start": "Début de l'expérimentation",
    "Round": "Tour",
    "Reminder": "Relance",
    "Report": "Point d'étape",
    "Without an answer": "Sans réponse",
    "Measurements": "Mesures",
    "Results": "Résultats",
    "Timeline": "Historique",
    "Nothing recorded yet.": "Rien d'enregistré pour le moment.",
    # Lists of pilots
    "Pilot": "Pilote",
    "Town": "Commune",
    "Theme": "Thème",
    "Stage": "Étape",
    "Next deadline": "Prochaine échéance",
    "Overdue": "En retard",
    "Waiting on": "En attente de",
    "Waiting for:": "En attente :",
    "Your move": "À vous de jouer",
    "Pilots of": "Pilotes de",
    "Your town has no pilot yet. Submit the first one: the programme team reviews it, "
    "then partner companies are invited.": (
        "Votre commune n'a pas encore de pilote. Proposez le premier : l'équipe du programme "
        "l'examine, puis des entreprises partenaires sont invitées."
    ),
    "Only the most recent pilots are listed.": "Seuls les pilotes les plus récents sont listés.",
    "Offered for replication": "Proposés à la réplication",
    "Pilots other towns trialled and the programme team decided to generalize. Replicating "
    "one starts a new pilot in your town, filled in from it, with its partner invited "
    "first.": (
        "Des pilotes expérimentés par d'autres communes et que l'équipe du programme a décidé "
        "de généraliser. En répliquer un crée un nouveau pilote dans votre commune, prérempli, "
        "en invitant d'abord son partenaire."
    ),
    "Replicate in my town": "Répliquer dans ma commune",
    "No pilot is offered for replication at the moment.": (
        "Aucun pilote n'est proposé à la réplication pour le moment."
    ),
    # Proposal form
    "Amend the proposal": "Modifier la proposition",
    "Change what the programme team asked for; the pilot then goes back to review.": (
        "Apportez les modifications demandées par l'équipe du programme ; le pilote est "
        "ensuite examiné de nouveau."
    ),
    "Describe the experiment: the programme team reviews it, then invites partner companies.": (
        "Décrivez l'expérimentation : l'équipe du programme l'examine, puis invite des "
        "entreprises partenaires."
    ),
    "Summary": "Résumé",
    "What will be tried, where, and for whom.": "Ce qui sera testé, où, et pour qui.",
    "Choose a theme": "Choisissez un thème",
    "Needs": "Besoins",
    "Skills or products wanted from a partner, separated by commas, e.g. iot, lighting.": (
        "Compétences ou produits attendus d'un partenaire, séparés par des virgules, "
        "par ex. iot, éclairage."
    ),
    "Budget (euros)": "Budget (euros)",
    "Desired start": "Début souhaité",
    "A date today or past starts the trial as soon as a partner is chosen.": (
        "Avec une date d'aujourd'hui ou passée, l'expérimentation démarre dès que le "
        "partenaire est choisi."
    ),
    "Trial length (days)": "Durée de l'expérimentation (jours)",
    "Indicators (KPIs)": "Indicateurs (KPI)",
    "Each indicator with its unit, its value today (baseline) and the value the trial aims for "
    "(target). Leave a row empty to skip it.": (
        "Chaque indicateur avec son unité, sa valeur actuelle (référence) et la valeur visée "
        "(cible). Laissez une ligne vide pour l'ignorer."
    ),
    "Indicator": "Indicateur",
    "Unit": "Unité",
    "Baseline": "Référence",
    "Target": "Cible",
    "target": "cible",
    "Send the amended proposal": "Envoyer la proposition modifiée",
    "Submit the pilot": "Soumettre le pilote",
    "Pilot submitted: the programme team will review it.": (
        "Pilote soumis : l'équipe du programme va l'examiner."
    ),
    "Proposal amended: it goes back to review.": (
        "Proposition modifiée : elle est de nouveau soumise à examen."
    ),
    "This pilot cannot be amended now.": "Ce pilote ne peut pas être modifié pour le moment.",
    # Pilot page
    "replicated from another town's pilot": "réplique du pilote d'une autre commune",
    "Your invitation": "Votre invitation",
    "Status": "Statut",
    "Why you": "Pourquoi vous",
    "Your offer": "Votre offre",
    "What you can do now": "Ce que vous pouvez faire maintenant",
    "The proposal": "La proposition",
    "Budget": "Budget",
    "Trial length": "Durée de l'expérimentation",
    "days": "jours",
    "Partner": "Partenaire",
    "Trial end": "Fin de l'expérimentation",
    "Result": "Résultat",
    "Target met": "Cible atteinte",
    "Yes": "Oui",
    "No": "Non",
    "Satisfaction": "Satisfaction",
    "Lessons learnt": "Enseignements",
    "Invited companies": "Entreprises invitées",
    "Score": "Score",
    "score": "score",
    "Why it was invited": "Pourquoi elle a été invitée",
    "Answer": "Réponse",
    "Monitoring": "Suivi",
    "Temporal event history": "Historique des événements Temporal",
    "Emails sent": "E-mails envoyés",
    "Open in the Temporal Web UI": "Ouvrir dans l'interface web de Temporal",
    # Action forms
    "Review the proposal": "Examiner la proposition",
    "Approve: invite partner companies": "Approuver : inviter des entreprises partenaires",
    "Ask the town for changes": "Demander des modifications à la commune",
    "Comment for the town": "Commentaire pour la commune",
    "Send the review": "Envoyer l'avis",
    "Review recorded.": "Avis enregistré.",
    "Answer the invitation": "Répondre à l'invitation",
    "Is your company interested?": "Votre entreprise est-elle intéressée ?",
    "Yes, we are interested": "Oui, nous sommes intéressés",
    "No, not this time": "Non, pas cette fois",
    "A short offer for the town: what you would bring, how, at what cost.": (
        "Une courte offre pour la commune : ce que vous apporteriez, comment, à quel coût."
    ),
    "Send the answer": "Envoyer la réponse",
    "Your answer was sent to the town.": "Votre réponse a été transmise à la commune.",
    "Choose the partner": "Choisir le partenaire",
    "These companies answered that they are interested. The others are told when you choose.": (
        "Ces entreprises ont répondu qu'elles étaient intéressées. Les autres sont prévenues "
        "quand vous choisissez."
    ),
    "Choose": "Choisir",
    "Partner chosen: the companies are told.": (
        "Partenaire choisi : les entreprises sont prévenues."
    ),
    "The programme team asked for changes: see their comment in the timeline.": (
        "L'équipe du programme a demandé des modifications : voyez son commentaire dans "
        "l'historique."
    ),
    "Report progress": "Faire un point d'étape",
    "What happened since the last report.": "Ce qui s'est passé depuis le dernier point.",
    "Send the report": "Envoyer le point d'étape",
    "Progress report recorded.": "Point d'étape enregistré.",
    "Submit the evaluation": "Transmettre l'évaluation",
    "Satisfaction, from 1 (poor) to 5 (excellent)": (
        "Satisfaction, de 1 (insuffisante) à 5 (excellente)"
    ),
    "Generalize to other towns": "Généraliser aux autres communes",
    "Evaluation submitted.": "Évaluation transmise.",
    "Decide": "Décider",
    "Generalize: offer it to the other towns": "Généraliser : le proposer aux autres communes",
    "Only for an extension; empty for the default length.": (
        "Seulement pour une prolongation ; vide pour la durée par défaut."
    ),
    "Record the decision": "Enregistrer la décision",
    "Decision recorded.": "Décision enregistrée.",
    "End the trial now": "Terminer l'expérimentation maintenant",
    "The evaluation is then due.": "L'évaluation est alors attendue.",
    "End the trial": "Terminer l'expérimentation",
    "Trial ended: the evaluation is due.": "Expérimentation terminée : l'évaluation est attendue.",
    "Replicate in your town": "Répliquer dans votre commune",
    "Starts a new pilot in your town, filled in from this one, with its partner invited first.": (
        "Crée un nouveau pilote dans votre commune, prérempli à partir de celui-ci, en invitant "
        "d'abord son partenaire."
    ),
    "Pilot replicated in your town: it is submitted for review.": (
        "Pilote répliqué dans votre commune : il est soumis à examen."
    ),
    "Withdraw the pilot": "Retirer le pilote",
    "The pilot ends; the companies involved are told.": (
        "Le pilote prend fin ; les entreprises concernées sont prévenues."
    ),
    "Withdraw": "Retirer",
    "Pilot withdrawn.": "Pilote retiré.",
    "Cancel the pilot": "Annuler le pilote",
    "The pilot ends at once; the town and companies are told.": (
        "Le pilote prend fin immédiatement ; la commune et les entreprises sont prévenues."
    ),
    "Pilot cancelled.": "Pilote annulé.",
    # Company pages
    "To answer": "À traiter",
    "Your trials": "Vos expérimentations",
    "Answered, waiting for the town's choice": "Répondu, en attente du choix de la commune",
    "Past invitations": "Invitations passées",
    "Your status": "Votre statut",
    "Deadline": "Échéance",
    "Read and answer": "Lire et répondre",
    "Open the trial": "Ouvrir l'expérimentation",
    "No invitation waits for your answer.": "Aucune invitation n'attend votre réponse.",
    "You are not the partner of a trial yet.": (
        "Vous n'êtes pas encore partenaire d'une expérimentation."
    ),
    "Company profile": "Profil de l'entreprise",
    "Towns' pilots are matched to companies by these themes, tags and areas.": (
        "Les pilotes des communes sont proposés aux entreprises selon ces thèmes, mots-clés "
        "et territoires."
    ),
    "Company name": "Nom de l'entreprise",
    "Contact email": "E-mail de contact",
    "Invitations go to this address and to your users.": (
        "Les invitations sont envoyées à cette adresse et à vos utilisateurs."
    ),
    "Description": "Description",
    "Themes you follow": "Thèmes suivis",
    "Tags": "Mots-clés",
    "What you offer, separated by commas, e.g. iot, lighting.": (
        "Ce que vous proposez, séparé par des virgules, par ex. iot, éclairage."
    ),
    "Towns you serve": "Communes couvertes",
    "None ticked: the whole region.": "Aucune cochée : toute la métropole.",
    "Language of your emails": "Langue de vos e-mails",
    "Invitations": "Invitations",
    "Send us invitations to new pilots by email": (
        "Nous envoyer par e-mail les invitations aux nouveaux pilotes"
    ),
    "Untick to unsubscribe: you still hear about the pilots you take part in.": (
        "Décochez pour vous désabonner : vous restez informés des pilotes auxquels vous participez."
    ),
    "Save the profile": "Enregistrer le profil",
    "Profile saved.": "Profil enregistré.",
    # Unsubscribe
    "Unsubscribe": "Se désabonner",
    "Stop invitations by email": "Ne plus recevoir d'invitations par e-mail",
    "Invitations to new pilots are no longer sent by email to": (
        "Les invitations aux nouveaux pilotes ne sont plus envoyées par e-mail à"
    ),
    "You still hear about the pilots you take part in. To receive invitations again, sign in "
    "and tick the box in your profile.": (
        "Vous restez informés des pilotes auxquels vous participez. Pour recevoir de nouveau "
        "les invitations, connectez-vous et cochez la case dans votre profil."
    ),
    "Stop sending invitations to new pilots to": (
        "Ne plus envoyer d'invitations aux nouveaux pilotes à"
    ),
    "and its users?": "et à ses utilisateurs ?",
    "You will still hear about the pilots you take part in.": (
        "Vous resterez informés des pilotes auxquels vous participez."
    ),
    "This unsubscribe link is not valid. Use the link in your latest email from pilotflow, or "
    "sign in and change your email preferences in your profile.": (
        "Ce lien de désabonnement n'est pas valide. Utilisez le lien de votre dernier e-mail "
        "de pilotflow, ou connectez-vous et modifiez vos préférences dans votre profil."
    ),
    "Done: your company will no longer receive invitations by email.": (
        "C'est fait : votre entreprise ne recevra plus d'invitations par e-mail."
    ),
    # Admin: overview and pilots
    "Funnel": "Entonnoir",
    "Pilots by stage": "Pilotes par étape",
    "Pilots by theme": "Pilotes par thème",
    "Pilots by town": "Pilotes par commune",
    "Share": "Part",
    "No pilot yet.": "Aucun pilote pour le moment.",
    "Late by": "Retard",
    "No deadline has passed.": "Aucune échéance n'est dépassée.",
    "Waiting": "En attente",
    "Since": "Depuis",
    "Nothing waits on anyone.": "Rien n'est en attente.",
    "Filter the pilots": "Filtrer les pilotes",
    "All stages": "Toutes les étapes",
    "All themes": "Tous les thèmes",
    "All towns": "Toutes les communes",
    "Words in the title or summary": "Mots du titre ou du résumé",
    "Filter": "Filtrer",
    "Clear": "Effacer",
    "No pilot matches.": "Aucun pilote ne correspond.",
    "Older pilots": "Pilotes plus anciens",
    # Admin: monitoring
    "Each event of the workflow as the Temporal server recorded it; payloads are left out, "
    "the timeline of the pilot says what they meant.": (
        "Chaque événement du workflow tel que le serveur Temporal l'a enregistré ; les données "
        "sont omises, l'historique du pilote dit ce qu'elles signifiaient."
    ),
    "Time": "Heure",
    "Event": "Événement",
    "Details": "Détails",
    "Show": "Afficher",
    "messages": "messages",
    "To": "À",
    "From": "De",
    "Template": "Modèle",
    "attempts": "tentative(s)",
    "Last error": "Dernière erreur",
    "Show the message as sent": "Afficher le message tel qu'envoyé",
    "Plain text part": "Partie texte",
    "No email yet.": "Aucun e-mail pour le moment.",
    "What the local SMTP sink received, newest first.": (
        "Ce que le serveur SMTP local a reçu, du plus récent au plus ancien."
    ),
    "Email goes to a real SMTP server: this mailbox holds only what a local sink received, "
    "if one ran.": (
        "Les e-mails partent vers un vrai serveur SMTP : cette boîte ne contient que ce qu'un "
        "serveur local a reçu, s'il a tourné."
    ),
    "(no subject)": "(sans objet)",
    "Received": "Reçu",
    "Show the message": "Afficher le message",
    "The mailbox is empty.": "La boîte aux lettres est vide.",
    "Only the most recent messages are shown.": (
        "Seuls les messages les plus récents sont affichés."
    ),
    "Whether the services pilotflow needs answer now, as /readyz checks them.": (
        "Si les services dont pilotflow a besoin répondent, comme /readyz les vérifie."
    ),
    "Service": "Service",
    "State": "État",
    "Database": "Base de données",
    "Temporal server": "Serveur Temporal",
    "SMTP server": "Serveur SMTP",
    "Answers": "Répond",
    "Does not answer": "Ne répond pas",
    "Workers": "Workers",
    "Unknown": "Inconnu",
    "None polls the task queue": "Aucun n'interroge la file de tâches",
    "polling": "à l'écoute",
    # Admin: reference data
    "towns": "communes",
    "themes": "thèmes",
    "companies": "entreprises",
    "users": "utilisateurs",
    "Name": "Nom",
    "Code": "Code",
    "Add a town": "Ajouter une commune",
    "Optional: a short code such as the INSEE number.": (
        "Facultatif : un code court comme le code INSEE."
    ),
    "Add the town": "Ajouter la commune",
    "Town added.": "Commune ajoutée.",
    "Add a theme": "Ajouter un thème",
    "Lower case letters, digits and dashes, e.g. green-city.": (
        "Minuscules, chiffres et tirets, par ex. ville-verte."
    ),
    "Add the theme": "Ajouter le thème",
    "Theme added.": "Thème ajouté.",
    "Contact": "Contact",
    "Towns served": "Communes couvertes",
    "The whole region": "Toute la métropole",
    "Active": "Active",
    "Inactive": "Inactive",
    "Unsubscribed": "Désabonnée",
    "Add a company": "Ajouter une entreprise",
    "Themes it follows": "Thèmes suivis",
    "What it offers, separated by commas.": "Ce qu'elle propose, séparé par des virgules.",
    "Towns it serves": "Communes couvertes",
    "Language of its emails": "Langue de ses e-mails",
    "Add the company": "Ajouter l'entreprise",
    "Company added.": "Entreprise ajoutée.",
    "Role": "Rôle",
    "Town or company": "Commune ou entreprise",
    "Language": "Langue",
    "Add a user": "Ajouter un utilisateur",
    "Empty: we email them a link to choose one. Or at least 8 characters, to tell them.": (
        "Vide : nous lui envoyons un lien pour en choisir un. Ou au moins 8 caractères, "
        "à lui communiquer."
    ),
    "Choose a role": "Choisissez un rôle",
    "Town (for a town officer)": "Commune (pour un agent de commune)",
    "None": "Aucune",
    "Company (for a company user)": "Entreprise (pour un utilisateur d'entreprise)",
    "Add the user": "Ajouter l'utilisateur",
    "User added.": "Utilisateur ajouté.",
    # Accounts: passwords chosen from emailed links, sign-in throttling.
    "Too many failed attempts. Try again in %(minutes)s minutes.": (
        "Trop de tentatives échouées. Réessayez dans %(minutes)s minutes."
    ),
    "Forgot your password?": "Mot de passe oublié ?",
    "If an account uses this address, a link to choose a new password is on its way.": (
        "Si un compte utilise cette adresse, un lien pour choisir un nouveau mot de passe "
        "est en route."
    ),
    "Too many requests. Try again in %(minutes)s minutes.": (
        "Trop de demandes. Réessayez dans %(minutes)s minutes."
    ),
    "Enter the email address of your account: we send it a link to choose a new password.": (
        "Saisissez l'adresse e-mail de votre compte : nous y envoyons un lien pour choisir "
        "un nouveau mot de passe."
    ),
    "Send me a link": "Envoyez-moi un lien",
    "Choose your password": "Choisissez votre mot de passe",
    "This link is invalid, has expired or was already used.": (
        "Ce lien n'est pas valide, a expiré ou a déjà servi."
    ),
    "Ask for a new link": "Demander un nouveau lien",
    "New password": "Nouveau mot de passe",
    "At least 8 characters.": "Au moins 8 caractères.",
    "The same password again": "Le même mot de passe, encore",
    "Save my password": "Enregistrer mon mot de passe",
    "The two passwords differ.": "Les deux mots de passe diffèrent.",
    "Your password is set: sign in with it.": (
        "Votre mot de passe est enregistré : connectez-vous avec."
    ),
}
