import type { Catalogue } from './catalogue.js';

/** Formal address (usted); the greeting ends with a colon, as in Spanish letters. */
export const es: Catalogue = {
  tag: 'es',
  emails: {
    invitation: {
      subject: 'Acción necesaria: configure la autenticación multifactor (MFA)',
      body: [
        'Estimado/a {name}:',
        '{company} va a activar la autenticación multifactor (MFA) en su cuenta para proteger tanto su cuenta como nuestros datos.',
        '1. Seleccione «{button}» a continuación.\n2. Inicie sesión con su cuenta profesional cuando se le solicite.\n3. Instale Microsoft Authenticator en su teléfono y siga los pasos que aparecen en pantalla.',
        '{button}',
        'Solo le llevará unos cinco minutos.',
      ].join('\n\n'),
    },
    reminder: {
      subject: 'Recordatorio n.º {n}: la configuración de la MFA sigue pendiente',
      body: [
        '**Recordatorio n.º {n}**',
        'Estimado/a {name}:',
        'Le recordamos que la configuración de la autenticación multifactor (MFA) de su cuenta en {company} sigue pendiente.',
        '1. Seleccione «{button}» a continuación.\n2. Inicie sesión con su cuenta profesional cuando se le solicite.\n3. Instale Microsoft Authenticator en su teléfono y siga los pasos que aparecen en pantalla.',
        '{button}',
        'Solo le llevará unos cinco minutos.',
      ].join('\n\n'),
    },
    escalation: {
      subject: 'Se requiere su intervención: {name} no ha completado la configuración de la MFA',
      body: [
        'Estimado/a {manager}:',
        '{employee} ({employeeDetails}) todavía no ha completado la configuración de la autenticación multifactor (MFA).',
        'Invitación enviada: {sent}\nRecordatorios enviados desde entonces: {n}',
        'Le rogamos que pida a {employee} que abra el correo electrónico más reciente de {company} y seleccione «{button}», o que se ponga en contacto con {supportTeam} si necesita ayuda.',
      ].join('\n\n'),
    },
  },
  email: {
    button: 'Configurar la MFA ahora',
    support: '¿Tiene alguna pregunta? Póngase en contacto con {supportTeam} en {supportEmail}.',
    lostLink: '¿Ha perdido su enlace de configuración?',
    requestNew: 'Solicite uno nuevo.',
    sentUnknown: 'fecha no registrada',
  },
  pages: {
    helpWithAddress: '¿Necesita ayuda? Póngase en contacto con {team} en {address}.',
    help: '¿Necesita ayuda? Póngase en contacto con {team}.',
    notRecognised: {
      title: 'Enlace no reconocido',
      text: 'Este enlace no es válido o se ha sustituido por uno más reciente. Utilice el enlace de su correo más reciente o solicite uno nuevo.',
      button: 'Obtener un enlace nuevo',
    },
    replaced: {
      title: 'Este enlace se ha sustituido',
      text: 'Después de esta invitación se envió otra más reciente, por lo que este enlace ya no funciona. Utilice el enlace de su correo más reciente o solicite uno nuevo: se enviará a la dirección a la que se envió esta invitación.',
      button: 'Enviarme un enlace nuevo',
    },
    freshLinkRequested: {
      title: 'Solicitud recibida',
      text: 'Si todavía tiene que configurar la autenticación multifactor, en breve recibirá un enlace nuevo por correo electrónico, en la dirección a la que se envió la invitación. Los enlaces anteriores ya no funcionan.',
    },
    confirm: {
      title: 'Configurar la autenticación multifactor',
      text: 'Con este paso se configura la autenticación multifactor (MFA) para {upn}.',
      steps: ['Pulse el botón: preparamos su cuenta para la MFA.', 'A continuación, registre la aplicación Authenticator o su teléfono en Microsoft.'],
      button: 'Configurar la MFA ahora',
    },
    enrolled: {
      title: 'Ya está inscrito',
      text: 'Paso 1 de 2 completado: {upn} está preparado para la autenticación multifactor.',
      next: 'Paso 2 de 2: registre un método (la aplicación Microsoft Authenticator o su teléfono). Hasta que lo haga, la MFA no estará configurada en su cuenta.',
      redirect: 'Se le redirigirá en {seconds} segundos.',
      button: 'Continuar con la configuración de la MFA',
    },
    alreadyRegistered: {
      title: 'Ya registrado',
      text: 'Este enlace ya se ha utilizado: {upn} está inscrito. Si todavía no ha registrado sus métodos, continúe con la configuración de la MFA.',
    },
    failed: {
      title: 'Vuelva a intentarlo',
      text: 'No hemos podido terminar de activar la MFA en su cuenta en este momento. No se ha perdido nada: vuelva a intentarlo dentro de unos minutos.',
      button: 'Volver a intentarlo',
    },
    resendForm: {
      title: 'Obtener un enlace de configuración nuevo',
      text: 'Introduzca su dirección de correo electrónico profesional. Si forma parte de la implantación de la MFA, en breve recibirá un enlace nuevo por correo electrónico; los enlaces anteriores dejarán de funcionar.',
      label: 'Correo electrónico profesional',
      button: 'Enviarme un enlace nuevo',
    },
    resendReceived: {
      title: 'Solicitud recibida',
      text: 'Si esta dirección forma parte de la implantación de la MFA, en breve recibirá un enlace de configuración nuevo por correo electrónico. Los enlaces anteriores ya no funcionan.',
    },
    tooManyRequests: { title: 'Demasiadas solicitudes', text: 'Espere un momento antes de volver a intentarlo.' },
  },
};
