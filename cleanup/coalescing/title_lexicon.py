"""The words the title classifier reads, per language: which seniority or job function each
one signals. Keys are lower case without accents ("geschaftsfuhrer"), as titles are
folded before lookup; phrases are words joined by one space.

To teach the classifier a word, add it here; the evaluation set
(tests/cleanup/title_eval.tsv) says whether it helped.
"""

# Seniorities, and the rank with which one cue beats another in the same title: "Senior
# Director" is a Director, "Co-Founder & CEO" a Founder, "Junior Account Manager" Entry.
INTERN, FOUNDER, C_LEVEL, VP = "Intern", "Founder", "C-Level", "VP"
DIRECTOR, MANAGER, SENIOR, ENTRY = "Director", "Manager", "Senior", "Entry"
INDIVIDUAL_CONTRIBUTOR = "Individual Contributor"
# Not a seniority of its own: a rank between Director and Manager that reads as Entry.
JUNIOR = "junior"
RANKS = {INTERN: 100, FOUNDER: 90, C_LEVEL: 80, VP: 70, DIRECTOR: 60, JUNIOR: 55, MANAGER: 50, SENIOR: 40,
         ENTRY: 30, INDIVIDUAL_CONTRIBUTOR: 10}

EXECUTIVE, FINANCE, ENGINEERING, SALES = "Executive", "Finance", "Engineering", "Sales"
MARKETING, PRODUCT, DATA, HUMAN_RESOURCES = "Marketing", "Product", "Data", "Human Resources"
BUSINESS_DEVELOPMENT, CUSTOMER_SUCCESS, OPERATIONS = "Business Development", "Customer Success", "Operations"
LEGAL, DESIGN = "Legal", "Design"
FUNCTIONS = (EXECUTIVE, FINANCE, ENGINEERING, SALES, MARKETING, PRODUCT, DATA, HUMAN_RESOURCES,
             BUSINESS_DEVELOPMENT, CUSTOMER_SUCCESS, OPERATIONS, LEGAL, DESIGN)

# cue -> (seniority, language). "junior" is a seniority of its own rank: it lowers a Manager
# title to Entry ("Junior Account Manager") but not a Director one.
_SENIORITY = {
    "en": {
        INTERN: "intern internship trainee apprentice working_student",
        FOUNDER: "founder cofounder co_founder owner",
        C_LEVEL: "chief ceo cto cfo coo cmo cro cpo cio cdo ciso chro cso cxo president managing_director "
                 "honcho general_manager",
        VP: "vp svp evp avp vice_president",
        DIRECTOR: "director dir head_of head",
        MANAGER: "manager mgr pm lead team_lead supervisor",
        SENIOR: "senior sr staff principal",
        JUNIOR: "junior jr",
        # Phrases that hold a seniority word but name a practitioner's role.
        INDIVIDUAL_CONTRIBUTOR: "product_owner",
        ENTRY: "associate sdr bdr sales_development_representative business_development_representative assistant "
               "entry_level graduate",
    },
    "de": {
        INTERN: "praktikant praktikantin werkstudent werkstudentin azubi auszubildender auszubildende",
        FOUNDER: "grunder grunderin mitgrunder mitgrunderin inhaber inhaberin gesellschafter gesellschafterin",
        C_LEVEL: "geschaftsfuhrer geschaftsfuhrerin vorstand vorstandin vorstandsvorsitzender",
        VP: "vizeprasident vizeprasidentin",
        DIRECTOR: "direktor direktorin leiter leiterin leitung bereichsleiter abteilungsleiter",
        MANAGER: "teamleiter teamleiterin gruppenleiter gruppenleiterin",
        SENIOR: "erfahrener",
        ENTRY: "assistent assistentin",
    },
    "fr": {
        INTERN: "stagiaire alternant alternante apprenti apprentie",
        FOUNDER: "fondateur fondatrice cofondateur cofondatrice proprietaire gerant",
        C_LEVEL: "pdg directeur_general directrice_generale president presidente",
        VP: "vice_president vice_presidente",
        DIRECTOR: "directeur directrice drh daf dsi",
        MANAGER: "responsable chef_de chef_d cheffe_de chef",
        SENIOR: "confirme confirmee",
        JUNIOR: "debutant debutante",
        ENTRY: "assistante assistant",
    },
    "es": {
        INTERN: "becario becaria practicante",
        FOUNDER: "fundador fundadora cofundador cofundadora propietario propietaria dueno duena",
        C_LEVEL: "director_general directora_general consejero_delegado director_ejecutivo directora_ejecutiva "
                 "presidente presidenta",
        VP: "vicepresidente vicepresidenta",
        DIRECTOR: "director directora",
        MANAGER: "gerente jefe jefa coordinador coordinadora responsable",
        ENTRY: "asistente auxiliar",
    },
    "pt": {
        INTERN: "estagiario estagiaria",
        FOUNDER: "fundador fundadora cofundador cofundadora socio_fundador socia_fundadora proprietario",
        C_LEVEL: "diretor_geral diretora_geral diretor_executivo diretora_executiva presidente",
        VP: "vice_presidente",
        DIRECTOR: "diretor diretora",
        MANAGER: "gerente gestor gestora coordenador coordenadora supervisor supervisora lider",
        SENIOR: "pleno",
        ENTRY: "assistente auxiliar",
    },
    "nl": {
        INTERN: "stagiair stagiaire",
        FOUNDER: "oprichter medeoprichter mede_oprichter eigenaar eigenaresse",
        C_LEVEL: "algemeen_directeur directievoorzitter bestuurder",
        DIRECTOR: "directeur hoofd",
        MANAGER: "teamleider leidinggevende afdelingsmanager accountmanager",
    },
    "it": {
        INTERN: "stagista tirocinante",
        FOUNDER: "fondatore fondatrice cofondatore cofondatrice titolare",
        C_LEVEL: "amministratore_delegato direttore_generale presidente",
        VP: "vicepresidente vice_presidente",
        DIRECTOR: "direttore direttrice",
        MANAGER: "responsabile capo",
        ENTRY: "assistente",
    },
}

# cue -> (function, language). In one title the first cue read wins, except that Executive
# gives way to any other ("Founder & CTO" is Engineering).
_FUNCTION = {
    "en": {
        EXECUTIVE: "ceo founder cofounder co_founder owner president chief_executive_officer managing_director "
                   "general_manager cxo "
                   "honcho executive_director chief_executive",
        FINANCE: "cfo finance financial fp_a controller controlling accountant accounting treasury treasurer "
                 "bookkeeper fp_a payroll tax audit auditor",
        ENGINEERING: "cto cio ciso chief_information_officer information_technology engineer engineering eng dev "
                     "developer software devops sre programmer architect it "
                     "frontend backend fullstack full_stack qa tester technology technical tech infrastructure "
                     "security web mobile ios android cloud systems administrator sysadmin",
        SALES: "sales cro area_manager account_executive ae sdr bdr revenue account_manager key_account inside_sales "
               "business_development_representative business_development_rep seller salesperson "
               "commercial",
        MARKETING: "cmo marketing growth brand community_manager seo sem content communications comms "
                   "public_relations pr "
                   "social_media demand_generation lead_generation product_marketing copywriter",
        PRODUCT: "product cpo product_owner pm",
        DATA: "data analytics analyst scientist machine_learning ml ai bi business_intelligence cdo statistician",
        HUMAN_RESOURCES: "hr human_resources people talent recruiter recruiting recruitment chro happiness "
                         "people_operations talent_acquisition",
        BUSINESS_DEVELOPMENT: "business_development partnerships partnership partner_manager alliances "
                              "business_developer",
        CUSTOMER_SUCCESS: "customer_success customer_experience support customer_service customer_care "
                          "client_services account_management",
        OPERATIONS: "coo chief_operating_officer operating_officer buyer operations ops logistics supply_chain "
                    "procurement purchasing office_manager "
                    "project program programme facilities",
        LEGAL: "legal counsel lawyer attorney paralegal compliance general_counsel",
        DESIGN: "designer design ux ui graphic product_designer art_director",
    },
    "de": {
        EXECUTIVE: "geschaftsfuhrer geschaftsfuhrerin geschaftsfuhrender grunder grunderin mitgrunder inhaber "
                   "inhaberin vorstand "
                   "vorstandsvorsitzender",
        FINANCE: "finanzen finanz buchhalter steuerberater steuerberaterin kaufmannischer kaufmannische buchhalterin "
                 "buchhaltung rechnungswesen steuer",
        ENGINEERING: "entwickler entwicklerin softwareentwickler ingenieur ingenieurin informatiker "
                     "informatikerin technik technischer",
        SALES: "vertrieb vertriebs verkauf verkaufs verkaufer verkauferin aussendienst innendienst",
        MARKETING: "kommunikation",
        PRODUCT: "produkt",
        DATA: "daten datenanalyst",
        HUMAN_RESOURCES: "personal personalwesen recruiterin personalreferent personalreferentin",
        BUSINESS_DEVELOPMENT: "geschaftsentwicklung",
        CUSTOMER_SUCCESS: "kundenservice kundenbetreuung kundenbetreuer kundenbetreuerin kundendienst",
        OPERATIONS: "betrieb betriebs einkauf einkaufer einkauferin logistik projekt projekte",
        LEGAL: "recht rechtsanwalt rechtsanwaltin jurist juristin syndikus",
        DESIGN: "gestalter gestalterin grafik",
    },
    "fr": {
        EXECUTIVE: "pdg president presidente fondateur fondatrice cofondateur cofondatrice directeur_general "
                   "directrice_generale "
                   "gerant",
        FINANCE: "daf financier paie financiere finances comptable comptabilite tresorerie controleur_de_gestion",
        ENGINEERING: "dsi systemes_d_information ingenieur ingenieure developpeur developpeuse informaticien "
                     "informaticienne logiciel "
                     "informatique technique",
        SALES: "commercial commerciale grands_comptes ventes vente vendeur vendeuse technico_commercial",
        MARKETING: "communication produit_marketing",
        PRODUCT: "produit",
        DATA: "donnees analyste",
        HUMAN_RESOURCES: "rh drh ressources_humaines recrutement recruteur recruteuse",
        BUSINESS_DEVELOPMENT: "developpement_commercial charge_d_affaires developpement_des_affaires",
        CUSTOMER_SUCCESS: "service_client relation_client clientele",
        OPERATIONS: "operations achats acheteur acheteuse achat logistique projet projets exploitation",
        LEGAL: "juridique juriste avocat avocate",
        DESIGN: "graphiste concepteur artistique",
    },
    "es": {
        EXECUTIVE: "fundador fundadora presidente presidenta cofundador cofundadora director_general directora_general "
                   "consejero_delegado director_ejecutivo directora_ejecutiva dueno duena propietario",
        FINANCE: "finanzas financiero financiera contable contador contadora contabilidad tesoreria",
        ENGINEERING: "ingeniero ingeniera desarrollador desarrolladora programador programadora "
                     "informatica sistemas tecnologia",
        SALES: "ventas vendedor vendedora comercial ejecutivo_de_cuentas ejecutiva_de_cuentas",
        MARKETING: "mercadotecnia comunicacion",
        PRODUCT: "producto",
        DATA: "datos analista",
        HUMAN_RESOURCES: "recursos_humanos rrhh reclutamiento reclutador reclutadora seleccion personas",
        BUSINESS_DEVELOPMENT: "desarrollo_de_negocio desarrollo_de_negocios",
        CUSTOMER_SUCCESS: "atencion_al_cliente servicio_al_cliente exito_del_cliente",
        OPERATIONS: "operaciones compras comprador compradora logistica proyectos proyecto",
        LEGAL: "abogado abogada juridico legal asesor_juridico",
        DESIGN: "disenador disenadora diseno",
    },
    "pt": {
        EXECUTIVE: "fundador fundadora cofundador cofundadora socio presidente diretor_geral diretora_geral "
                   "diretor_executivo diretora_executiva ceo",
        FINANCE: "financas tesoureiro tesoureira financeiro financeira contador contadora contabilidade contabilista "
                 "tesouraria",
        ENGINEERING: "engenheiro engenheira desenvolvedor desenvolvedora programador programadora ti "
                     "tecnologia informatica",
        SALES: "vendas vendedor vendedora comercial executivo_de_contas executiva_de_contas",
        MARKETING: "comunicacao",
        PRODUCT: "produto",
        DATA: "dados analista_de_dados",
        HUMAN_RESOURCES: "rh recursos_humanos recrutamento recrutador recrutadora pessoas gente",
        BUSINESS_DEVELOPMENT: "desenvolvimento_de_negocios novos_negocios",
        CUSTOMER_SUCCESS: "sucesso_do_cliente atendimento_ao_cliente atendimento",
        OPERATIONS: "operacoes compras logistica projetos projeto suprimentos",
        LEGAL: "juridico advogado advogada",
        DESIGN: "designer",
    },
    "nl": {
        EXECUTIVE: "oprichter medeoprichter eigenaar algemeen_directeur bestuurder",
        FINANCE: "financieel financiele financien boekhouder controller administratie",
        ENGINEERING: "ontwikkelaar technisch ingenieur programmeur software ict",
        SALES: "verkoop commercieel commerciele verkoper verkoopster buitendienst binnendienst accountmanager",
        MARKETING: "communicatie",
        PRODUCT: "product",
        DATA: "data",
        HUMAN_RESOURCES: "hr personeelszaken recruiter werving",
        BUSINESS_DEVELOPMENT: "bedrijfsontwikkeling",
        CUSTOMER_SUCCESS: "klantenservice klantcontact",
        OPERATIONS: "operations operationeel inkoop inkoper logistiek project projecten",
        LEGAL: "jurist juridisch advocaat",
        DESIGN: "ontwerper vormgever",
    },
    "it": {
        EXECUTIVE: "fondatore presidente fondatrice cofondatore cofondatrice amministratore_delegato titolare "
                   "direttore_generale",
        FINANCE: "finanza amministrativo amministrativa finanziario finanziaria contabile amministrazione tesoreria",
        ENGINEERING: "ingegnere sistemi_informativi sviluppatore sviluppatrice programmatore programmatrice "
                     "informatico tecnico",
        SALES: "vendite agente_di_commercio commercio vendita venditore venditrice commerciale",
        MARKETING: "comunicazione",
        PRODUCT: "prodotto",
        DATA: "dati",
        HUMAN_RESOURCES: "risorse_umane personale selezione",
        BUSINESS_DEVELOPMENT: "sviluppo_commerciale sviluppo_del_business",
        CUSTOMER_SUCCESS: "assistenza_clienti servizio_clienti customer_care",
        OPERATIONS: "operazioni acquisti logistica progetto progetti",
        LEGAL: "legale avvocato avvocata",
        DESIGN: "progettista grafico grafica",
    },
}

# Parts of compound words (German and Dutch run them together): a seniority at the end,
# a function anywhere. "vertriebsleiter" = "vertrieb" (Sales) + "leiter" (Director).
COMPOUND_SENIORITY_ENDINGS = {
    "teamleiter": (MANAGER, "de"), "teamleiterin": (MANAGER, "de"), "gruppenleiter": (MANAGER, "de"),
    "leiter": (DIRECTOR, "de"), "leiterin": (DIRECTOR, "de"), "leitung": (DIRECTOR, "de"),
    "direktor": (DIRECTOR, "de"), "chef": (DIRECTOR, "de"), "manager": (MANAGER, "de"),
    "managerin": (MANAGER, "de"), "referent": (INDIVIDUAL_CONTRIBUTOR, "de"),
    "praktikant": (INTERN, "de"), "praktikantin": (INTERN, "de"),
    "leider": (MANAGER, "nl"), "hoofd": (DIRECTOR, "nl"), "directeur": (DIRECTOR, "nl"),
    "assistent": (ENTRY, "de"), "assistentin": (ENTRY, "de"),
}
COMPOUND_FUNCTION_PARTS = {
    "vertrieb": (SALES, "de"), "verkauf": (SALES, "de"), "verkoop": (SALES, "nl"), "sales": (SALES, "de"),
    "marketing": (MARKETING, "de"), "kommunikation": (MARKETING, "de"), "communicatie": (MARKETING, "nl"),
    "personal": (HUMAN_RESOURCES, "de"), "personeel": (HUMAN_RESOURCES, "nl"), "recruiting": (HUMAN_RESOURCES, "de"),
    "finanz": (FINANCE, "de"), "financ": (FINANCE, "nl"), "buchhalt": (FINANCE, "de"), "controlling": (FINANCE, "de"),
    "entwickl": (ENGINEERING, "de"), "ontwikkel": (ENGINEERING, "nl"), "software": (ENGINEERING, "de"),
    "ingenieur": (ENGINEERING, "de"), "informatik": (ENGINEERING, "de"), "technik": (ENGINEERING, "de"),
    "produkt": (PRODUCT, "de"), "product": (PRODUCT, "nl"),
    "daten": (DATA, "de"),
    "einkauf": (OPERATIONS, "de"), "inkoop": (OPERATIONS, "nl"), "logistik": (OPERATIONS, "de"),
    "logistiek": (OPERATIONS, "nl"), "projekt": (OPERATIONS, "de"), "project": (OPERATIONS, "nl"),
    "betrieb": (OPERATIONS, "de"),
    "kunden": (CUSTOMER_SUCCESS, "de"), "klant": (CUSTOMER_SUCCESS, "nl"),
    "rechts": (LEGAL, "de"), "jurist": (LEGAL, "nl"),
    "aussendienst": (SALES, "de"), "innendienst": (SALES, "de"), "buitendienst": (SALES, "nl"),
    "binnendienst": (SALES, "nl"), "recruit": (HUMAN_RESOURCES, "de"),
    "design": (DESIGN, "de"), "gestalter": (DESIGN, "de"), "grafik": (DESIGN, "de"),
}

# Function words that describe how rather than where someone works: they decide only when
# the title has no other function word ("Financial Analyst" is Finance, "Analyst" is Data;
# "Sales Engineer" is Sales, "Engineer" is Engineering).
WEAK_FUNCTION_CUES = frozenset({
    "analyst", "analista", "analyste", "analist", "technical", "technique", "technisch", "technischer", "tecnico",
    "engineer", "ingenieur", "ingeniero", "ingeniera", "engenheiro", "engenheira", "ingegnere",
    "project", "program", "programme", "projet", "projets", "proyecto", "proyectos", "projeto", "projetos",
    "progetto", "progetti", "projekt", "projekte", "projecten",
})


def _flatten(table: dict[str, dict[str, str]]) -> dict[str, tuple[str, str]]:
    """{language: {value: "cue cue ..."}} -> {cue: (value, language)}. Cues are separated by
    spaces; the words of a phrase are joined by "_" ("vice_president")."""
    cues: dict[str, tuple[str, str]] = {}
    for language, values in table.items():
        for value, words in values.items():
            for cue in words.split():
                cues.setdefault(cue.replace("_", " "), (value, language))
    return cues


SENIORITY_CUES = _flatten(_SENIORITY)
FUNCTION_CUES = _flatten(_FUNCTION)
