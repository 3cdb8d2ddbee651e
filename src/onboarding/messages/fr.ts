import type { Catalogue } from './catalogue.js';

/** Formal address (vous). French typography: a no-break space (U+00A0) before « : ? » and inside guillemets. */
export const fr: Catalogue = {
  tag: 'fr',
  emails: {
    invitation: {
      subject: 'Action requise\u00a0: configurez l’authentification multifacteur (MFA)',
      body: [
        'Bonjour {name},',
        '{company} active l’authentification multifacteur (MFA) sur votre compte afin de le protéger, ainsi que nos données.',
        '1. Sélectionnez «\u00a0{button}\u00a0» ci-dessous.\n2. Connectez-vous avec votre compte professionnel lorsque vous y êtes invité.\n3. Installez Microsoft Authenticator sur votre téléphone et suivez les étapes affichées à l’écran.',
        '{button}',
        'Cela ne prend qu’environ cinq minutes.',
      ].join('\n\n'),
    },
    reminder: {
      subject: 'Rappel n°\u00a0{n}\u00a0: configuration de la MFA toujours en attente',
      body: [
        '**Rappel n°\u00a0{n}**',
        'Bonjour {name},',
        'La configuration de l’authentification multifacteur (MFA) de votre compte chez {company} est toujours en attente.',
        '1. Sélectionnez «\u00a0{button}\u00a0» ci-dessous.\n2. Connectez-vous avec votre compte professionnel lorsque vous y êtes invité.\n3. Installez Microsoft Authenticator sur votre téléphone et suivez les étapes affichées à l’écran.',
        '{button}',
        'Cela ne prend qu’environ cinq minutes.',
      ].join('\n\n'),
    },
    escalation: {
      subject: 'Action requise de votre part\u00a0: {name} n’a pas terminé la configuration de la MFA',
      body: [
        'Bonjour {manager},',
        '{employee} ({employeeDetails}) n’a pas encore terminé la configuration de l’authentification multifacteur (MFA).',
        'Invitation envoyée\u00a0: {sent}\nRappels envoyés depuis\u00a0: {n}',
        'Nous vous remercions de demander à {employee} d’ouvrir le dernier e-mail de {company} et de sélectionner «\u00a0{button}\u00a0», ou de contacter {supportTeam} pour obtenir de l’aide.',
      ].join('\n\n'),
    },
  },
  email: {
    button: 'Configurer la MFA maintenant',
    support: 'Des questions\u00a0? Contactez {supportTeam} à l’adresse {supportEmail}.',
    lostLink: 'Vous avez perdu votre lien de configuration\u00a0?',
    requestNew: 'Demandez-en un nouveau.',
    sentUnknown: 'date non enregistrée',
  },
  pages: {
    helpWithAddress: 'Besoin d’aide\u00a0? Contactez {team} à l’adresse {address}.',
    help: 'Besoin d’aide\u00a0? Contactez {team}.',
    notRecognised: {
      title: 'Lien non reconnu',
      text: 'Ce lien n’est pas valide ou a été remplacé par un lien plus récent. Utilisez le lien de votre e-mail le plus récent ou demandez-en un nouveau.',
      button: 'Obtenir un nouveau lien',
    },
    replaced: {
      title: 'Ce lien a été remplacé',
      text: 'Une invitation plus récente a été envoyée après celle-ci\u00a0: ce lien ne fonctionne donc plus. Utilisez le lien de votre e-mail le plus récent ou demandez-en un nouveau\u00a0: il sera envoyé à l’adresse à laquelle cette invitation a été adressée.',
      button: 'M’envoyer un nouveau lien',
    },
    freshLinkRequested: {
      title: 'Demande reçue',
      text: 'Si vous devez encore configurer l’authentification multifacteur, vous recevrez sous peu un nouveau lien par e-mail, à l’adresse à laquelle l’invitation a été envoyée. Les anciens liens ne fonctionnent plus.',
    },
    confirm: {
      title: 'Configurer l’authentification multifacteur',
      text: 'Vous allez configurer l’authentification multifacteur (MFA) pour {upn}.',
      steps: [
        'Appuyez sur le bouton\u00a0: nous préparons votre compte pour la MFA.',
        'Enregistrez ensuite l’application Authenticator ou votre téléphone auprès de Microsoft.',
      ],
      button: 'Configurer la MFA maintenant',
    },
    enrolled: {
      title: 'Votre inscription est faite',
      text: 'Étape 1 sur 2 terminée\u00a0: {upn} est prêt pour l’authentification multifacteur.',
      next: 'Étape 2 sur 2\u00a0: enregistrez une méthode (l’application Microsoft Authenticator ou votre téléphone). Tant que ce n’est pas fait, la MFA n’est pas configurée pour votre compte.',
      redirect: 'Vous serez redirigé dans {seconds}\u00a0secondes.',
      button: 'Continuer vers la configuration de la MFA',
    },
    alreadyRegistered: {
      title: 'Déjà inscrit',
      text: 'Ce lien a déjà été utilisé\u00a0: {upn} est inscrit. Si vous n’avez pas encore enregistré vos méthodes, continuez vers la configuration de la MFA.',
    },
    failed: {
      title: 'Veuillez réessayer',
      text: 'Nous n’avons pas pu terminer l’activation de la MFA pour votre compte. Rien n’est perdu\u00a0: veuillez réessayer dans quelques minutes.',
      button: 'Réessayer',
    },
    resendForm: {
      title: 'Obtenir un nouveau lien de configuration',
      text: 'Saisissez votre adresse e-mail professionnelle. Si elle fait partie du déploiement de la MFA, un nouveau lien vous sera envoyé sous peu par e-mail\u00a0; les anciens liens cesseront de fonctionner.',
      label: 'Adresse e-mail professionnelle',
      button: 'M’envoyer un nouveau lien',
    },
    resendReceived: {
      title: 'Demande reçue',
      text: 'Si cette adresse fait partie du déploiement de la MFA, un nouveau lien de configuration vous sera envoyé sous peu par e-mail. Les anciens liens ne fonctionnent plus.',
    },
    tooManyRequests: { title: 'Trop de demandes', text: 'Veuillez patienter un moment avant de réessayer.' },
  },
};
